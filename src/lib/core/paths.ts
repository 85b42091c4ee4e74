import {homedir} from 'node:os'
import {join} from 'node:path'

const APP_DIR = 'eventpulse'

/** Where the local pipeline keeps its data: $XDG_DATA_HOME/eventpulse, by default ~/.local/share/eventpulse. */
export function dataDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), APP_DIR)
}

/** Where caches live (stack outputs, notices): $XDG_CACHE_HOME/eventpulse, by default ~/.cache/eventpulse. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), APP_DIR)
}

/** The file `local start` writes while it runs, read by every `--local` command. */
export function localStateFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDir(env), 'local', 'state.json')
}
