import {join} from 'node:path'
import {tempDir} from '../helpers/temp-dirs.js'

/** An environment in which any AWS call would be noticed: bogus keys, a closed endpoint, every connection recorded. */
export function offlineEnv(): {env: NodeJS.ProcessEnv; networkLog: string; home: string} {
  const home = tempDir('eventpulse-deploy-')
  const networkLog = join(home, 'network.log')
  return {
    home,
    networkLog,
    env: {
      HOME: home,
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLEBOGUS0000',
      AWS_SECRET_ACCESS_KEY: 'bogus-secret-key-for-the-dry-run-test',
      AWS_REGION: 'eu-central-1',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PROFILE: '',
      EVENTPULSE_NETWORK_LOG: networkLog,
      NODE_OPTIONS: `--import=${join(import.meta.dirname, 'fixtures/record-network.mjs')}`,
    },
  }
}
