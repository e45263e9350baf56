/*
 * site-maintenance
 *
 * (c) site-maintenance contributors
 *
 * For the full copyright and license information, please view the LICENSE
 * file that was distributed with this source code.
 */

import type { PageData, PageRenderer } from '../maintenance_page.ts'

/**
 * Renders the maintenance page with the app's Edge template, when the
 * app has one (`node ace add site-maintenance` publishes it); null lets
 * the built-in page answer.
 */
export async function edgeRenderer(view: string): Promise<PageRenderer> {
  const { default: edge } = await import('edge.js')
  return async (data: PageData) => {
    if (!edge.loader.resolve || !hasTemplate(edge, view)) return null
    return edge.render(view, data)
  }
}

function hasTemplate(edge: { loader: { resolve(name: string): unknown } }, view: string) {
  try {
    edge.loader.resolve(view)
    return true
  } catch {
    return false
  }
}
