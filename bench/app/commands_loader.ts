/*
 * The package's commands, loaded from source
 */
import { ListLoader } from '@adonisjs/core/ace'
import OfflineOn from '../../commands/offline_on.ts'
import OfflineOff from '../../commands/offline_off.ts'
import OfflineStatus from '../../commands/offline_status.ts'

const loader = new ListLoader([OfflineOn, OfflineOff, OfflineStatus])

export const getMetaData = () => loader.getMetaData()
export const getCommand = (metaData: any) => loader.getCommand(metaData)
