// POST /v3/hooks on fastify with its default Ajv options: a real peer for tests/test_peers_node.py.
//
// Written the ordinary way: the contract's Webhook schema is the route's `schema.body`, and fastify
// is not told anything about Ajv, so its defaults apply (coerceTypes: 'array', removeAdditional:
// true, useDefaults: true). A refusal is the contract's `Error`, as an error handler makes it.
//
// The schema is read from the vendored spec (read only) and translated to JSON Schema in memory:
// the `$ref` to WebhookEventType is inlined, `example` (not a JSON Schema keyword) is dropped and
// `nullable: true` becomes a `null` in `type`. GET /v3/hooks and DELETE /v3/hooks/:id are there
// for the suite's cleanup.
//
//   PEER_TOKEN=... PEER_SPEC=conformance/spec/register-webhook.yaml PORT=N node server.js
'use strict'

const crypto = require('node:crypto')
const fs = require('node:fs')
const YAML = require('yaml')
const fastify = require('fastify')

const TOKEN = process.env.PEER_TOKEN
const spec = YAML.parse(fs.readFileSync(process.env.PEER_SPEC, 'utf8'))
const schemas = spec.components.schemas

function jsonSchema (node) {
  if (Array.isArray(node)) return node.map(jsonSchema)
  if (node === null || typeof node !== 'object') return node
  if (node.$ref) return jsonSchema(schemas[node.$ref.split('/').pop()])
  const out = {}
  for (const [key, value] of Object.entries(node)) {
    if (key === 'example' || key === 'nullable') continue
    out[key] = key === 'properties'
      ? Object.fromEntries(Object.entries(value).map(([name, s]) => [name, jsonSchema(s)]))
      : jsonSchema(value)
  }
  if (node.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null']
  return out
}

const webhook = jsonSchema(schemas.Webhook)
const hooks = new Map()
const app = fastify({ logger: false })

function authorized (request) {
  const [scheme, token] = (request.headers.authorization || '').split(' ')
  return scheme === 'Bearer' && typeof token === 'string' &&
    token.length === TOKEN.length && crypto.timingSafeEqual(Buffer.from(token), Buffer.from(TOKEN))
}

// Before the body is parsed or validated, as an auth hook usually is.
app.addHook('onRequest', async (request, reply) => {
  if (!authorized(request)) {
    reply.code(401).send({ error: 'unauthorized', description: 'A valid bearer token is required' })
  }
})

// fastify's own refusal body is {statusCode, code, error, message}; the contract documents `Error`.
app.setErrorHandler((error, request, reply) => {
  const status = error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500
  const code = error.validation ? 'invalid_webhook' : (status === 500 ? 'internal_server_error' : 'invalid_request')
  reply.code(status).send({ error: code, description: error.message })
})

app.post('/v3/hooks', { schema: { body: webhook } }, async (request) => {
  const id = crypto.randomBytes(12).toString('hex') // 24 hex digits, like the contract's example id
  hooks.set(id, { ...request.body, id })
  return { id }
})

app.get('/v3/hooks', async () => ({ data: [...hooks.values()] }))

app.delete('/v3/hooks/:id', async (request, reply) => {
  reply.code(hooks.delete(request.params.id) ? 204 : 404).send()
})

app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) }).catch((err) => {
  console.error(err)
  process.exit(1)
})
