// POST /v3/hooks on express with openapi-backend: a real peer for tests/test_peers_further.py.
//
// Written the ordinary way, as openapi-backend's own Quick Start does it: `express.json()` parses
// the body, every request goes to `api.handleRequest`, and openapi-backend routes, authenticates and
// validates it from the vendored spec (Ajv with openapi-backend's defaults). Only the handlers, the
// bearer check and the contract's `Error` body for a validation failure are written here.
//
// The vendored file is never edited: it is read (read only) and extended in memory with what the
// suite's cleanup needs, `GET /hooks` and `DELETE /hooks/{hook_id}`, under the same security as
// `POST /hooks`. The spec's `servers` put the routes under `/v3`, as on the real API.
//
//   PEER_TOKEN=... PEER_SPEC=conformance/spec/register-webhook.yaml PORT=N node server.js
'use strict'

const crypto = require('node:crypto')
const fs = require('node:fs')
const express = require('express')
const YAML = require('yaml')
const { OpenAPIBackend } = require('openapi-backend')

const TOKEN = process.env.PEER_TOKEN
const spec = YAML.parse(fs.readFileSync(process.env.PEER_SPEC, 'utf8'))

const security = spec.paths['/hooks'].post.security
spec.paths['/hooks'].get = {
  operationId: 'listWebhooks',
  security,
  responses: { 200: { description: 'Registered webhooks' } }
}
spec.paths['/hooks/{hook_id}'] = {
  delete: {
    operationId: 'deleteWebhook',
    security,
    parameters: [{ name: 'hook_id', in: 'path', required: true, schema: { type: 'string' } }],
    responses: { 204: { description: 'Deleted' }, 404: { description: 'Unknown webhook' } }
  }
}

const hooks = new Map()
const api = new OpenAPIBackend({ definition: spec, apiRoot: '/v3' })

// Both schemes of the operation's `security` are a bearer token in `Authorization`.
function bearer (c) {
  const header = c.request.headers.authorization || ''
  return header.startsWith('Bearer ') && header.slice('Bearer '.length) === TOKEN
}
api.registerSecurityHandler('oauth2', bearer)
api.registerSecurityHandler('personal_access_token', bearer)

api.register({
  createWebhook: (c, req, res) => {
    const id = crypto.randomBytes(12).toString('hex') // 24 hex digits, like the contract's example id
    hooks.set(id, { ...c.request.requestBody, id })
    return res.status(200).json({ id })
  },
  listWebhooks: (c, req, res) => res.status(200).json({ data: [...hooks.values()] }),
  deleteWebhook: (c, req, res) => res.status(hooks.delete(c.request.params.hook_id) ? 204 : 404).end(),
  // The contract documents 400 + Error for a bad payload.
  validationFail: (c, req, res) => res.status(400).json({
    error: 'invalid_webhook',
    description: c.validation.errors.map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ')
  }),
  unauthorizedHandler: (c, req, res) => res.status(401).json({
    error: 'unauthorized',
    description: 'A valid bearer token is required'
  }),
  notFound: (c, req, res) => res.status(404).json({ error: 'not_found', description: 'No such resource' }),
  methodNotAllowed: (c, req, res) => res.status(405).json({ error: 'method_not_allowed', description: 'Method not allowed' })
})

api.init()

const app = express()
app.use(express.json())
app.use((req, res) => api.handleRequest(req, req, res))
app.listen(Number(process.env.PORT), '127.0.0.1', (err) => {
  if (err) {
    console.error(err)
    process.exit(1)
  }
})
