import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
// @ts-expect-error: the example is plain JavaScript, run as it is documented.
import { startApp } from '../../../examples/oidc-app/app.mjs'
import { fillSignIn, freePort, signInWithPages, snapshot, startWebApp, totpCode, unlabelledFields, type WebApp } from './support.js'

/** Issue 7, F-INT-1 in Chromium: the example application signs its users in through our pages. */
describe('Sign in to an application with OpenID Connect (F-INT-1)', () => {
  let w: WebApp
  let app: { url: string; close(): Promise<void> }
  let strictApp: { url: string; close(): Promise<void> }
  let org: { id: string }

  before(async () => {
    w = await startWebApp()
    w.t.clock.set(new Date())
    org = await w.t.createOrganisation({ policy: 'optional' })
    const ports = [await freePort(), await freePort()]
    const clients = []
    for (const port of ports) {
      const created = await w.t.admin('POST', `/api/v1/admin/organisations/${org.id}/oidc-clients`, {
        name: `Wiki ${port}`,
        redirectUris: [`http://127.0.0.1:${port}/callback`],
        postLogoutRedirectUris: [`http://127.0.0.1:${port}/`],
      })
      assert.equal(created.statusCode, 201, created.body)
      clients.push(created.json())
    }
    app = await startApp({ issuer: `${w.base}/oidc`, clientId: clients[0].id, clientSecret: clients[0].clientSecret, port: ports[0] })
    strictApp = await startApp({ issuer: `${w.base}/oidc`, clientId: clients[1].id, clientSecret: clients[1].clientSecret, port: ports[1], acrValues: 'mfa' })
  })
  /** The app's code at the next 30-second step (each code signs in once). */
  const nextCode = (secret: string) => () => {
    w.t.nextStep()
    return totpCode(secret, w.t.clock.now())
  }

  after(async () => {
    await app?.close()
    await strictApp?.close()
    await w.close()
  })

  test('F-INT-1: the app sends the user to the Countersign sign-in page, the code is asked, and the app receives amr and acr; signing out there signs out here', async () => {
    const user = await w.t.enrolledUser(org.id)
    const page = await (await w.context()).newPage()
    await page.goto(app.url)
    await page.getByRole('link', { name: 'Sign in with Countersign' }).click()
    await page.waitForURL(/\/sign-in\?return=%2Finteraction%2F/)
    await fillSignIn(page, user, nextCode(user.secret))
    await page.getByRole('heading', { name: `Signed in as ${user.username}` }).waitFor()
    assert.equal(await page.locator('#amr').textContent(), 'amr: pwd otp mfa')
    assert.equal(await page.locator('#acr').textContent(), 'acr: mfa')

    await page.getByRole('link', { name: 'Sign out' }).click()
    await page.getByRole('button', { name: 'Yes, sign me out' }).waitFor()
    await snapshot(page, 'oidc-logout')
    await page.getByRole('button', { name: 'Yes, sign me out' }).click()
    await page.getByRole('link', { name: 'Sign in with Countersign' }).waitFor()
    const session = await page.request.get(`${w.base}/api/v1/session`)
    assert.equal(session.status(), 401, 'the Countersign session ended with the app’s sign-out')
  })

  test('F-INT-1: an app that asks for acr_values=mfa gets a second factor even from a user whose policy asks for none', async () => {
    const user = await w.t.enrolledUser(org.id)
    await w.t.admin('PATCH', `/api/v1/admin/users/${user.id}`, { twoFactor: 'exempt' })
    const page = await (await w.context()).newPage()
    await signInWithPages(page, user)
    await page.waitForURL(/\/account\/security$/)
    await page.goto(strictApp.url)
    await page.getByRole('link', { name: 'Sign in with Countersign' }).click()
    await page.waitForURL(/\/sign-in\?.*mfa=1/)
    await fillSignIn(page, user, nextCode(user.secret))
    await page.getByRole('heading', { name: `Signed in as ${user.username}` }).waitFor()
    assert.equal(await page.locator('#acr').textContent(), 'acr: mfa')
  })

  test('F-INT-3: an organisation admin registers the application in the console, copies the secret shown once, and the application signs a user in with it', async () => {
    const admin = await w.t.enrolledUser(org.id)
    await w.t.admin('PATCH', `/api/v1/admin/users/${admin.id}`, { role: 'admin' })
    const page = await (await w.context()).newPage()
    w.t.nextStep()
    await signInWithPages(page, admin, () => totpCode(admin.secret, w.t.clock.now()))
    await page.waitForURL(/\/account\/security$/)
    await page.goto('/admin')
    await page.getByRole('link', { name: 'Applications' }).click()
    await page.getByRole('heading', { name: /^Applications of / }).waitFor()
    const port = await freePort()
    await page.getByLabel('Name', { exact: true }).fill('Handbook')
    await page.getByLabel('Redirect URIs').fill('http://evil.example/callback')
    await page.getByRole('button', { name: 'Add application' }).click()
    await page.getByText('must be an absolute https URL').waitFor()
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Handbook', 'a refused form keeps what was typed')
    await page.getByLabel('Redirect URIs').fill(`http://127.0.0.1:${port}/callback`)
    await page.getByLabel('After sign-out URIs (optional)').fill(`http://127.0.0.1:${port}/`)
    await page.getByRole('button', { name: 'Add application' }).click()
    const secretBox = page.getByRole('status').filter({ hasText: 'The client secret of “Handbook”' })
    await secretBox.waitFor()
    assert.deepEqual(await unlabelledFields(page), [])
    await snapshot(page, 'admin-applications')
    const clientSecret = (await secretBox.locator('code').textContent())!
    const clientId = (await page.getByRole('row').filter({ hasText: 'Handbook' }).locator('code').first().textContent())!
    await page.reload()
    assert.equal(await page.getByText(clientSecret).count(), 0, 'the secret is shown once')

    const handbook = await startApp({ issuer: `${w.base}/oidc`, clientId, clientSecret, port })
    try {
      const user = await w.t.enrolledUser(org.id)
      const visitor = await (await w.context()).newPage()
      await visitor.goto(handbook.url)
      await visitor.getByRole('link', { name: 'Sign in with Countersign' }).click()
      await visitor.waitForURL(/\/sign-in\?return=/)
      await fillSignIn(visitor, user, nextCode(user.secret))
      await visitor.getByRole('heading', { name: `Signed in as ${user.username}` }).waitFor()
      assert.equal(await visitor.locator('#organisation').textContent(), `organisation: ${(await w.t.admin('GET', `/api/v1/admin/organisations/${org.id}`)).json().slug}`)
    } finally {
      await handbook.close()
    }
  })
})
