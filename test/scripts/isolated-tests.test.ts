import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {expect, test} from 'vitest'

import {isolatedTestFiles} from '../../vitest.mutation.config.js'
import {tempDir} from '../helpers/temp-dirs.js'

test('the test files that change shared state run in a module graph of their own; the rest share one', () => {
  const root = tempDir('eventpulse-isolated-')
  const files: Record<string, string> = {
    'plain.test.ts': "import {expect, it} from 'vitest'\nit('adds', () => expect(1 + 1).toBe(2))\n",
    'mocks.test.ts': "vi.mock('#aws/profile.js')\n",
    'sdk/mock-client.test.ts': 'const s3 = mockClient(S3Client)\n',
    'env/stub.test.ts': "vi.stubEnv('AWS_REGION', 'eu-west-1')\n",
    'env/assign.test.ts': "process.env.AWS_PROFILE = 'dev'\n",
    'env/compare.test.ts': "if (process.env.CI === 'true') skip()\n",
    'spy.test.ts': "vi.spyOn(process.stderr, 'write')\n",
    'stack.test.ts': 'const stack = mockDeployedStack()\n',
    'aws-env.test.ts': 'stubAwsEnv(home)\n',
    'helper.ts': "vi.mock('x')\n",
  }
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, 'test', path, '..'), {recursive: true})
    writeFileSync(join(root, 'test', path), text)
  }
  expect(isolatedTestFiles(root)).toEqual([
    'test/aws-env.test.ts',
    'test/env/assign.test.ts',
    'test/env/stub.test.ts',
    'test/mocks.test.ts',
    'test/sdk/mock-client.test.ts',
    'test/spy.test.ts',
    'test/stack.test.ts',
  ])
})
