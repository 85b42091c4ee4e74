// The second thread of `validateFiles`: checks files from the shared queue and sends its reports back.
import {parentPort, workerData} from 'node:worker_threads'

import type {InputFile} from './input-files.js'
import {checkFromQueue, type FileReport} from './validate-files.js'

const {files, queue} = workerData as {files: InputFile[]; queue: Int32Array}
const reports: [number, FileReport][] = []
checkFromQueue(files, queue, (index, report) => reports.push([index, report]))
parentPort!.postMessage(reports)
