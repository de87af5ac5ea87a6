import fc from 'fast-check'

/*
 * Requests from the OpenAPI document (IV-10): JSON values shaped by each operation's JSON Schema
 * (zod's own output), then mutated the ways a hostile or broken client would — wrong types,
 * missing and extra fields, huge strings, deep nesting, Unicode edge cases, NUL bytes, duplicated
 * keys, invalid JSON, wrong content types.
 */

export type JsonSchema = {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  additionalProperties?: boolean | JsonSchema
  items?: JsonSchema
  minItems?: number
  maxItems?: number
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  pattern?: string
  format?: string
  enum?: unknown[]
  const?: unknown
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  default?: unknown
}

/** Text that breaks naive code: NUL and control characters, lone surrogates, bidi overrides, NFKC expansions. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF\uD800',
  '\u202Eevil\u202C',
  '\u200B\u200D\uFEFF',
  'e\u0301\u0301\u0301\u0301',
  '\uFDFA',
  'ﬁ'.repeat(50),
  '🦊'.repeat(40),
  '\r\nX-Injected: 1',
  '../../../etc/passwd',
  "' OR '1'='1",
  '%00%2e%2e%2f',
  '__proto__',
  'constructor',
  '{{7*7}}${7*7}',
  '<script>alert(1)</script>',
  '９９９９９９',
  '-0',
  '1e309',
  'NaN',
  'null',
  'true',
]

const nastyString = fc.oneof(fc.constantFrom(...NASTY_STRINGS), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }))

const SAFE_CHARACTERS = 'abcdefghijklmnopqrstuvwxyz0123456789._-'.split('')

/**
 * A string the schema allows where that is easy, else plain text within its bounds. Never a filter
 * that rarely passes: generation is not interruptible, so it must always be quick.
 */
function stringFor(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format === 'email') return fc.emailAddress()
  if (schema.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString())
  const minLength = schema.minLength ?? 0
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 40, 80))
  const safe = fc.string({ unit: fc.constantFrom(...SAFE_CHARACTERS), minLength: Math.max(minLength, 1), maxLength: Math.max(maxLength, 1) })
  if (schema.pattern) {
    try {
      // Patterns with Unicode property classes are not supported by stringMatching: plain text then.
      return fc.oneof(fc.stringMatching(new RegExp(schema.pattern)).map((s) => s.slice(0, maxLength)), safe)
    } catch {
      return safe
    }
  }
  return fc.oneof(fc.string({ minLength, maxLength }), safe)
}

/** A JSON value the schema describes (most of the time valid, so requests reach the use-cases). */
export function valueFor(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 6) return fc.jsonValue({ maxDepth: 2 })
  if (schema.const !== undefined) return fc.constant(schema.const)
  if (schema.enum) return fc.constantFrom(...schema.enum)
  const alternatives = schema.anyOf ?? schema.oneOf
  if (alternatives) return fc.oneof(...alternatives.map((s) => valueFor(s, depth + 1)))
  if (schema.allOf?.length) return valueFor(Object.assign({}, ...schema.allOf) as JsonSchema, depth + 1)
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'string':
      return stringFor(schema)
    case 'integer':
      return fc.integer({ min: Math.ceil(schema.minimum ?? schema.exclusiveMinimum ?? -1_000_000), max: Math.floor(schema.maximum ?? schema.exclusiveMaximum ?? 1_000_000) })
    case 'number':
      return fc.double({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6, noNaN: true })
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array':
      return fc.array(valueFor(schema.items, depth + 1), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 5, 8) })
    case 'object': {
      const properties = schema.properties ?? {}
      const required = new Set(schema.required ?? [])
      const record: Record<string, fc.Arbitrary<unknown>> = {}
      for (const [key, property] of Object.entries(properties)) record[key] = valueFor(property, depth + 1)
      const requiredKeys = Object.keys(properties).filter((k) => required.has(k))
      return fc.record(record, { requiredKeys })
    }
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

/** A value of another JSON type than the schema's. */
const anyOtherType = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  nastyString,
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
)

/** One way to mutate a valid object body; each yields the value to send. */
export function mutatedObject(schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  const valid = valueFor(schema)
  const keys = Object.keys(schema?.properties ?? {})
  const pickKey = keys.length ? fc.constantFrom(...keys) : fc.constant('field')
  const asObject = (value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : {})
  return fc.oneof(
    // a field of the wrong type
    fc.tuple(valid, pickKey, anyOtherType).map(([value, key, wrong]) => ({ ...asObject(value), [key]: wrong })),
    // a field missing
    fc.tuple(valid, pickKey).map(([value, key]) => {
      const copy = asObject(value)
      delete copy[key]
      return copy
    }),
    // an extra field, including the prototype's names
    fc.tuple(valid, fc.constantFrom('role', 'isAdmin', 'organisationId', '__proto__', 'constructor', 'x'), fc.jsonValue({ maxDepth: 1 })).map(([value, key, extra]) => ({ ...asObject(value), [key]: extra })),
    // nasty text in a field
    fc.tuple(valid, pickKey, nastyString).map(([value, key, text]) => ({ ...asObject(value), [key]: text })),
    // a huge string (the body limit is 16 kB: some below, some above)
    fc.tuple(valid, pickKey, fc.integer({ min: 1_000, max: 40_000 })).map(([value, key, n]) => ({ ...asObject(value), [key]: 'x'.repeat(n) })),
    // an array where one value is expected (parameter pollution, CVE-2023-7028's shape)
    fc.tuple(valid, pickKey).map(([value, key]) => {
      const copy = asObject(value)
      return { ...copy, [key]: [copy[key] ?? 'a', 'attacker@evil.example'] }
    }),
    // not an object at all
    anyOtherType,
  )
}

export interface RawBody {
  /** The bytes to send (already text). */
  text: string | null
  contentType: string | null
}

/** Bodies that are not the JSON an endpoint expects, as raw text. */
export const rawBody: fc.Arbitrary<RawBody> = fc.oneof(
  fc.constant<RawBody>({ text: null, contentType: null }),
  fc.constant<RawBody>({ text: '', contentType: 'application/json' }),
  fc.constantFrom('{', '{"a":', '[1,2', '{"a":1}}', "{'a':1}", '{"a":NaN}', '\uFEFF{}', '{"a":1,"a":2,"a":[3]}', 'null', '"string"', '12', 'true', '{"a":"\\ud800"}', '{"\\u0000":1}').map((text) => ({ text, contentType: 'application/json' })),
  fc.integer({ min: 100, max: 20_000 }).map((depth) => ({ text: '['.repeat(depth) + ']'.repeat(depth), contentType: 'application/json' })),
  fc.integer({ min: 100, max: 5_000 }).map((depth) => ({ text: '{"a":'.repeat(depth) + '1' + '}'.repeat(depth), contentType: 'application/json' })),
  fc.jsonValue({ maxDepth: 3 }).map((value) => ({ text: JSON.stringify(value) ?? 'null', contentType: 'application/json' })),
  fc.tuple(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/xml', 'application/json;;', 'APPLICATION/JSON'), fc.constantFrom('{"username":"a","password":"b"}', 'username=a&username=b', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--', '<a/>')).map(([contentType, text]) => ({ text, contentType })),
)

/** A query-string value: as the schema says, or pollution. */
export function queryValue(schema: JsonSchema | undefined): fc.Arbitrary<string | string[]> {
  return fc.oneof(
    { weight: 3, arbitrary: valueFor(schema).map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '')) },
    { weight: 1, arbitrary: fc.array(fc.string({ maxLength: 10 }), { minLength: 2, maxLength: 4 }) },
    { weight: 1, arbitrary: nastyString },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 10_000 }).map((n) => 'q'.repeat(n)) },
  )
}

/** A path parameter: a real id where one is known, or junk. */
export function pathValue(known: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: known.length ? fc.constantFrom(...known) : fc.string({ minLength: 1, maxLength: 20 }) },
    { weight: 1, arbitrary: nastyString.filter((s) => s.length > 0) },
    { weight: 1, arbitrary: fc.integer({ min: 65, max: 3_000 }).map((n) => 'p'.repeat(n)) },
  )
}
