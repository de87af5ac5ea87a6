import type { Language } from '../i18n/messages.js'

const text = {
  en: {
    logoutTitle: 'Sign out',
    logoutQuestion: 'Do you want to sign out of {client}?',
    logoutYes: 'Yes, sign me out',
    logoutNo: 'No, stay signed in',
    loggedOutTitle: 'Signed out',
    loggedOut: 'You are signed out of {client}.',
    errorTitle: 'The sign-in could not continue',
    errorLead: 'The application that sent you here made a request Countersign cannot accept. Go back to the application and try again.',
    errorCode: 'Error',
    backToAccount: 'Go to my security settings',
  },
  nl: {
    logoutTitle: 'Afmelden',
    logoutQuestion: 'Wil je je afmelden bij {client}?',
    logoutYes: 'Ja, meld mij af',
    logoutNo: 'Nee, aangemeld blijven',
    loggedOutTitle: 'Afgemeld',
    loggedOut: 'Je bent afgemeld bij {client}.',
    errorTitle: 'Het aanmelden kon niet verder',
    errorLead: 'De toepassing die je hierheen stuurde deed een verzoek dat Countersign niet kan aannemen. Ga terug naar de toepassing en probeer het opnieuw.',
    errorCode: 'Fout',
    backToAccount: 'Naar mijn beveiligingsinstellingen',
  },
} as const satisfies Record<Language, Record<string, string>>

export type PageText = keyof (typeof text)['en']

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

export function pageText(language: Language, id: PageText, values: Record<string, string> = {}): string {
  return escapeHtml(text[language][id]).replace(/\{(\w+)\}/g, (_, key: string) => escapeHtml(values[key] ?? ''))
}

/**
 * The provider's own pages (sign-out question, sign-out done, errors) in the web UI's look: its
 * stylesheet and classes, no inline script or style (the CSP allows neither).
 */
export function page(language: Language, stylesheet: string | null, title: string, body: string): string {
  return `<!doctype html>
<html lang="${language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · Countersign</title>
${stylesheet ? `<link rel="stylesheet" href="${escapeHtml(stylesheet)}">` : ''}<link rel="icon" href="/favicon.svg" type="image/svg+xml"></head>
<body><div class="page"><header class="top"><div class="top-inner"><a class="brand" href="/"><img src="/favicon.svg" alt="" width="28" height="28"><span>Countersign</span></a></div></header>
<main class="main"><div class="narrow"><div class="card">
<h1>${title}</h1>
${body}
</div></div></main></div></body>
</html>`
}
