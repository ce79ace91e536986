// Test driver between the sandbox's Runtime API and bootstrap. The sandbox only invokes
// functions through HTTP routes, so its events arrive in API Gateway v2 shape
// ({"version":"2.0", "body": "<the event>", ...}); this proxy hands bootstrap the inner event
// and passes everything else through untouched, so bootstrap sees what real Lambda would send.
// It keeps the sandbox's "http://host:port/<request id>" form of AWS_LAMBDA_RUNTIME_API.
// Every POST bootstrap makes (response, error, init error) is appended as one JSON line to
// $SIREN_RUNTIME_TRACE when set, for the test to check the documented shapes.
// Usage: node unwrap-proxy.js BOOTSTRAP
'use strict'
const http = require('http')
const fs = require('fs')
const { spawn } = require('child_process')

const api = process.env.AWS_LAMBDA_RUNTIME_API || ''
const upstream = new URL(/^https?:\/\//.test(api) ? api : 'http://' + api)
const base = upstream.pathname.replace(/\/$/, '')
const trace = process.env.SIREN_RUNTIME_TRACE
let child = null

function unwrap (text) {
  let ev
  try { ev = JSON.parse(text) } catch (e) { return text }
  if (!ev || ev.version !== '2.0' || typeof ev.body !== 'string') return text
  return ev.isBase64Encoded ? Buffer.from(ev.body, 'base64').toString('utf8') : ev.body
}

const server = http.createServer((req, res) => {
  const chunks = []
  req.on('data', c => chunks.push(c))
  req.on('end', () => {
    const body = Buffer.concat(chunks)
    if (req.method === 'POST' && trace) {
      fs.appendFileSync(trace, JSON.stringify({
        path: req.url,
        errorType: req.headers['lambda-runtime-function-error-type'] || null,
        body: body.toString('utf8')
      }) + '\n')
    }
    const headers = {}
    for (const h of ['content-type', 'lambda-runtime-function-error-type']) {
      if (req.headers[h]) headers[h] = req.headers[h]
    }
    headers['content-length'] = body.length
    const up = http.request({
      host: upstream.hostname, port: upstream.port, method: req.method,
      path: req.url, headers // bootstrap already sends the /<request id> prefix
    }, ures => {
      const out = []
      ures.on('data', c => out.push(c))
      ures.on('end', () => {
        let data = Buffer.concat(out)
        if (req.url.endsWith('/runtime/invocation/next') && ures.statusCode === 200) {
          data = Buffer.from(unwrap(data.toString('utf8')), 'utf8')
        }
        const h = {}
        for (const [k, v] of Object.entries(ures.headers)) {
          if (k.startsWith('lambda-runtime-') || k === 'content-type') h[k] = v
        }
        h['content-length'] = data.length
        res.writeHead(ures.statusCode, h)
        res.end(data)
      })
    })
    up.on('error', e => { res.writeHead(502); res.end(String(e)) })
    up.end(body)
  })
})

server.listen(0, '127.0.0.1', () => {
  const port = server.address().port
  const env = { ...process.env, AWS_LAMBDA_RUNTIME_API: `http://127.0.0.1:${port}${base}` }
  child = spawn(process.argv[2], [], { stdio: 'inherit', env })
  child.on('exit', (code, sig) => process.exit(code === null ? 128 : code))
})
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => { if (child) child.kill(sig); else process.exit(130) })
}
