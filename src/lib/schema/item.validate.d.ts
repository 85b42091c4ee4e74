// Types for item.validate.js, the standalone validator that scripts/build.mjs compiles from item.schema.json.
import type {ErrorObject} from 'ajv'

interface ItemSchemaValidator {
  (data: unknown): boolean
  errors?: ErrorObject[] | null
}

declare const validate: ItemSchemaValidator
export default validate
