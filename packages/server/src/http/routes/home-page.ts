import type { Language } from '../../i18n/messages.js'

const text = {
  en: {
    title: 'Countersign',
    lead: 'Two-factor sign-in server. The web pages arrive with the web UI; the JSON API is ready.',
    api: 'API description (OpenAPI)',
    health: 'Health',
    steps: 'Sign in with the API: POST /api/v1/sign-in/password, then POST /api/v1/sign-in/second-factor.',
  },
  nl: {
    title: 'Countersign',
    lead: 'Server voor aanmelden in twee stappen. De webpagina’s komen met de webinterface; de JSON-API is klaar.',
    api: 'API-beschrijving (OpenAPI)',
    health: 'Status',
    steps: 'Aanmelden via de API: POST /api/v1/sign-in/password, daarna POST /api/v1/sign-in/second-factor.',
  },
} as const

/** The minimal `/` page (no script, no inline style: the CSP allows neither). */
export function homePage(language: Language): string {
  const t = text[language]
  return `<!doctype html>
<html lang="${language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${t.title}</title></head>
<body>
<main>
<h1>${t.title}</h1>
<p>${t.lead}</p>
<p>${t.steps}</p>
<ul>
<li><a href="/api/v1/openapi.json">${t.api}</a></li>
<li><a href="/healthz">${t.health}</a></li>
</ul>
</main>
</body>
</html>
`
}
