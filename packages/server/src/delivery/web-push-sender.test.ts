import assert from 'node:assert/strict'
import { test } from 'node:test'
import { internalAddress, pushEndpointAllowed } from './web-push-sender.js'

test('SSRF: outside tests, a push never goes to this host, private networks or names without a domain', () => {
  const refused = [
    'http://fcm.googleapis.com/fcm/send/x',
    'https://user:pw@fcm.googleapis.com/x',
    'https://127.0.0.1/x',
    'https://localhost/x',
    'https://localhost./x',
    'https://kubernetes.default.svc.cluster.localhost/x',
    'https://internal-db:5432/x',
    'https://10.1.2.3/x',
    'https://172.20.0.1/x',
    'https://192.168.1.1/x',
    'https://169.254.169.254/latest/meta-data',
    'https://100.64.0.1/x',
    'https://[::1]/x',
    'https://[::ffff:127.0.0.1]/x',
    'https://[::7f00:1]/x',
    'https://[fd00::1]/x',
    'https://[fe80::1]/x',
    'https://[fec0::1]/x',
    'https://[64:ff9b::7f00:1]/x',
    'https://0.0.0.0/x',
  ]
  for (const endpoint of refused) {
    assert.equal(pushEndpointAllowed(endpoint, 'production'), false, endpoint)
    assert.equal(pushEndpointAllowed(endpoint, 'development'), false, endpoint)
  }
  for (const endpoint of ['https://fcm.googleapis.com/fcm/send/abc', 'https://updates.push.services.mozilla.com/wpush/v2/abc', 'https://web.push.apple.com/abc', 'https://203.0.113.9/x'.replace('203.0.113.9', '8.8.8.8')]) {
    assert.equal(pushEndpointAllowed(endpoint, 'production'), true, endpoint)
  }
  // Names are checked again on the addresses they resolve to, when the connection is made.
  for (const address of ['127.0.0.1', '10.0.0.1', '::1', '::ffff:10.0.0.1', 'fd12::1', '100.100.100.100']) assert.equal(internalAddress(address), true, address)
  for (const address of ['8.8.8.8', '2001:4860:4860::8888']) assert.equal(internalAddress(address), false, address)
})
