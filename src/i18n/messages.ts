/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

/**
 * Every text a visitor reads from the package: the built-in page, the
 * JSON answer and the banner. `{time}` is replaced by a date or time.
 */
export interface VisitorTexts {
  pageTitle: string
  readOnlyPageTitle: string
  heading: string
  readOnlyHeading: string
  defaultMessage: string
  readOnlyMessage: string
  backAt: string
  tryAgain: string
  bannerScheduledTitle: string
  bannerStartsIn: string
  bannerSaveBeforeThen: string
  bannerPendingTitle: string
  bannerGoesOfflineIn: string
  bannerSaveYourWork: string
  bannerReadOnlyTitle: string
  bannerOfflineTitle: string
  bannerBypass: string
  bannerAt: string
  aMoment: string
  dismiss: string
}

/**
 * The languages the package ships, English first: the fallback
 */
export const SHIPPED_TEXTS: Record<string, VisitorTexts> = {
  en: {
    pageTitle: 'Down for maintenance',
    readOnlyPageTitle: 'Read-only for maintenance',
    heading: "We'll be back soon",
    readOnlyHeading: 'The site is read-only',
    defaultMessage: 'We are performing scheduled maintenance. We will be back shortly.',
    readOnlyMessage: 'You can browse the site, but changes cannot be saved right now.',
    backAt: 'Expected back at {time}',
    tryAgain: 'Try again',
    bannerScheduledTitle: 'Maintenance at {time}.',
    bannerStartsIn: 'It starts in',
    bannerSaveBeforeThen: '. Please save your work before then.',
    bannerPendingTitle: 'Scheduled maintenance.',
    bannerGoesOfflineIn: 'The site goes offline in',
    bannerSaveYourWork: '. Please save your work.',
    bannerReadOnlyTitle: 'The site is read-only.',
    bannerOfflineTitle: 'Maintenance mode.',
    bannerBypass: 'The site is offline for visitors; you are seeing it through a bypass.',
    bannerAt: 'at',
    aMoment: 'a moment',
    dismiss: 'Dismiss the maintenance notice',
  },
  fr: {
    pageTitle: 'En maintenance',
    readOnlyPageTitle: 'En lecture seule pour maintenance',
    heading: 'Nous revenons bientôt',
    readOnlyHeading: 'Le site est en lecture seule',
    defaultMessage: 'Une maintenance programmée est en cours. Nous serons de retour très bientôt.',
    readOnlyMessage:
      'Vous pouvez consulter le site, mais les modifications ne peuvent pas être enregistrées pour le moment.',
    backAt: 'Retour prévu à {time}',
    tryAgain: 'Réessayer',
    bannerScheduledTitle: 'Maintenance à {time}.',
    bannerStartsIn: 'Elle commence dans',
    bannerSaveBeforeThen: '. Pensez à enregistrer votre travail d’ici là.',
    bannerPendingTitle: 'Maintenance programmée.',
    bannerGoesOfflineIn: 'Le site passe hors ligne dans',
    bannerSaveYourWork: '. Pensez à enregistrer votre travail.',
    bannerReadOnlyTitle: 'Le site est en lecture seule.',
    bannerOfflineTitle: 'Mode maintenance.',
    bannerBypass:
      'Le site est hors ligne pour les visiteurs ; vous le voyez grâce à un accès de contournement.',
    bannerAt: 'à',
    aMoment: 'un instant',
    dismiss: 'Masquer l’avis de maintenance',
  },
  de: {
    pageTitle: 'Wartungsarbeiten',
    readOnlyPageTitle: 'Wegen Wartung nur lesbar',
    heading: 'Wir sind bald zurück',
    readOnlyHeading: 'Die Website ist nur lesbar',
    defaultMessage: 'Wir führen geplante Wartungsarbeiten durch. Wir sind in Kürze wieder da.',
    readOnlyMessage:
      'Sie können die Website ansehen, aber Änderungen können gerade nicht gespeichert werden.',
    backAt: 'Voraussichtlich zurück um {time}',
    tryAgain: 'Erneut versuchen',
    bannerScheduledTitle: 'Wartung um {time}.',
    bannerStartsIn: 'Sie beginnt in',
    bannerSaveBeforeThen: '. Bitte speichern Sie Ihre Arbeit bis dahin.',
    bannerPendingTitle: 'Geplante Wartung.',
    bannerGoesOfflineIn: 'Die Website geht offline in',
    bannerSaveYourWork: '. Bitte speichern Sie Ihre Arbeit.',
    bannerReadOnlyTitle: 'Die Website ist nur lesbar.',
    bannerOfflineTitle: 'Wartungsmodus.',
    bannerBypass: 'Die Website ist für Besucher offline; Sie sehen sie über einen Bypass-Zugang.',
    bannerAt: 'um',
    aMoment: 'einem Moment',
    dismiss: 'Wartungshinweis schließen',
  },
  es: {
    pageTitle: 'En mantenimiento',
    readOnlyPageTitle: 'Solo lectura por mantenimiento',
    heading: 'Volvemos pronto',
    readOnlyHeading: 'El sitio está en modo de solo lectura',
    defaultMessage: 'Estamos realizando un mantenimiento programado. Volveremos en breve.',
    readOnlyMessage: 'Puede navegar por el sitio, pero ahora mismo no se pueden guardar cambios.',
    backAt: 'Volvemos previsiblemente a las {time}',
    tryAgain: 'Reintentar',
    bannerScheduledTitle: 'Mantenimiento a las {time}.',
    bannerStartsIn: 'Comienza en',
    bannerSaveBeforeThen: '. Guarde su trabajo antes de esa hora.',
    bannerPendingTitle: 'Mantenimiento programado.',
    bannerGoesOfflineIn: 'El sitio se desconecta en',
    bannerSaveYourWork: '. Guarde su trabajo.',
    bannerReadOnlyTitle: 'El sitio está en modo de solo lectura.',
    bannerOfflineTitle: 'Modo de mantenimiento.',
    bannerBypass:
      'El sitio está desconectado para los visitantes; usted lo ve gracias a un acceso de omisión.',
    bannerAt: 'a las',
    aMoment: 'un momento',
    dismiss: 'Cerrar el aviso de mantenimiento',
  },
}

export const DEFAULT_LOCALE = 'en'

/**
 * The texts of a locale, English for one the package does not ship
 */
export function textsOf(locale: string): VisitorTexts {
  return SHIPPED_TEXTS[locale] ?? SHIPPED_TEXTS[DEFAULT_LOCALE]
}
