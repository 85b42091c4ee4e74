import {join} from 'node:path'

import {type LocalPipeline, type LocalPipelineOptions, startLocalPipeline} from '#local/pipeline.js'
import {isolatedXdg, runCli} from '../../helpers/run-cli.js'

/**
 * A local pipeline running in the test process, found by the CLI's `--local` through the state file in its XDG home.
 */
export async function startPipelineForCli(options: Partial<LocalPipelineOptions> = {}): Promise<{
  pipeline: LocalPipeline
  env: NodeJS.ProcessEnv
  cli: (args: string[], input?: string) => ReturnType<typeof runCli>
}> {
  const env = isolatedXdg()
  const pipeline = await startLocalPipeline({
    dataDir: join(env.XDG_DATA_HOME!, 'eventpulse', 'local'),
    writeState: true,
    log: () => {},
    ...options,
  })
  // Nothing of the user's AWS set-up may matter to --local: a profile and endpoint in the environment are ignored.
  const cliEnv = {
    ...env,
    AWS_PROFILE: 'someone-elses-profile',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_CONFIG_FILE: '/nonexistent',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  }
  return {pipeline, env: cliEnv, cli: (args, input) => runCli([...args, '--local'], {env: cliEnv, input})}
}
