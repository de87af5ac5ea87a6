#!/usr/bin/env -S node --max-semi-space-size=2
// The countersign command (npm start, npm run countersign and the installed bin all start here):
// the Node version is checked before the server's modules and native addons are loaded.
import './check-node.js'

import('../dist/cli.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli.js')) {
    process.stderr.write('countersign: the server is not built yet: run npm run build\n')
  } else {
    console.error(error)
  }
  process.exit(1)
})
