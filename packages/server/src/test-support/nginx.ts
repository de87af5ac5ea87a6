import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Debian's nginx (`.ci/run` installs it); the forward-auth end-to-end tests skip without it. */
export const NGINX = process.env.COUNTERSIGN_NGINX ?? '/usr/sbin/nginx'

/** `false` when nginx is there, otherwise the reason to skip, for `describe(…, { skip })`. */
export const nginxMissing: string | false = existsSync(NGINX) ? false : `nginx is not installed (${NGINX}); apt-get install nginx, as .ci/run does`

export interface RunningNginx {
  port: number
  /** nginx's own output and error log, for a failing test's message. */
  log(): string
  stop(): Promise<void>
}

/**
 * Starts nginx in the foreground with the configuration of docs/forward-auth-nginx.md on loopback:
 * every host in `protectedHosts` behind `auth_request` to Countersign, proxied to `upstreamPort`
 * (the first host is also the default server); `authHost` proxied to Countersign itself.
 */
export async function startNginx(options: {
  port: number
  countersignPort: number
  upstreamPort: number
  authHost: string
  protectedHosts: string[]
  sessionCookie: string
}): Promise<RunningNginx> {
  const { port, countersignPort, upstreamPort } = options
  const dir = mkdtempSync(join(tmpdir(), 'countersign-nginx-'))
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub))
  const cookie = options.sessionCookie.replace(/[^A-Za-z0-9_-]/g, '')
  const protectedServer = (name: string, index: number) => `
  server {
    listen 127.0.0.1:${port}${index === 0 ? ' default_server' : ''};
    server_name ${name};
    location = /internal/countersign {
      internal;
      proxy_pass http://127.0.0.1:${countersignPort}/api/v1/forward-auth;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URL $scheme://$server_name:$server_port$request_uri;
    }
    location / {
      auth_request /internal/countersign;
      auth_request_set $countersign_sign_in $upstream_http_location;
      auth_request_set $user $upstream_http_remote_user;
      auth_request_set $email $upstream_http_remote_email;
      auth_request_set $organisation $upstream_http_remote_organisation;
      auth_request_set $amr $upstream_http_remote_amr;
      error_page 401 = @countersign_sign_in;
      proxy_set_header Remote-User $user;
      proxy_set_header Remote-Email $email;
      proxy_set_header Remote-Organisation $organisation;
      proxy_set_header Remote-Amr $amr;
      proxy_set_header Cookie $cookie_without_countersign;
      proxy_pass http://127.0.0.1:${upstreamPort};
    }
    location @countersign_sign_in {
      return 302 $countersign_sign_in;
    }
  }`
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 64; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  map $http_cookie $cookie_without_countersign {
    default $http_cookie;
    "~^(?<before>.*?);\\s*${cookie}=[^;]*(?<after>.*)$" "$before$after";
    "~^${cookie}=[^;]*(?:;\\s*)?(?<rest>.*)$" "$rest";
  }
  ${options.protectedHosts.map(protectedServer).join('\n')}
  server {
    listen 127.0.0.1:${port};
    server_name ${options.authHost};
    location / {
      proxy_pass http://127.0.0.1:${countersignPort};
      proxy_set_header Host $http_host;
    }
  }
}
`,
  )
  let output = ''
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const log = () => output + (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '')
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitForPort(port, child, log)
  } catch (error) {
    await stop()
    throw error
  }
  return { port, log, stop }
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`nginx exited ${child.exitCode}: ${log()}`)
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end()
        resolve(true)
      })
      socket.on('error', () => resolve(false))
    })
    if (open) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`nginx did not listen on ${port}: ${log()}`)
}
