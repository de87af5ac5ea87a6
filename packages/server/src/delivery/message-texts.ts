import type { CodePurpose } from '../domain/methods/one-time-code.js'

/**
 * The words of every e-mail and text message, in English and Dutch (F-X-3), picked from the
 * account's language or else the request's. E-mails have a text and an HTML part; every value put
 * into HTML is escaped (IV-08).
 */
export type Language = 'en' | 'nl'

export type SecurityNotice =
  | 'device_linked'
  | 'device_removed'
  | 'method_changed'
  | 'account_locked'
  | 'bypass_granted'
  | 'phone_changed'
  | 'email_changed'
  | 'push_suspended'
  | 'push_not_me'
  | 'recovery_codes_generated'
  | 'recovery_code_used'
  | 'passkey_added'
  | 'password_changed'
  | 'password_reset'
  | 'email_changed_away'

const texts = {
  en: {
    codeSubject: 'Your verification code',
    codeIntro: {
      sign_in: 'Use this code to sign in to {org}:',
      phone_verify: 'Use this code to verify your mobile number for {org}:',
      email_change: 'Use this code to confirm this e-mail address for your {org} account:',
      link_confirm: 'Use this code to confirm linking an authenticator app to your {org} account:',
      reauth: 'Use this code to confirm it is you, for a change to your {org} account:',
    },
    codeValid: 'The code is valid for {minutes} minutes and works once. Never share it with anyone.',
    codeNotYou: 'If you did not ask for this code, you can ignore this message; nobody can sign in with the code alone.',
    sms: '{code} is your {org} code ({purpose}). Valid {minutes} min. Never share it.',
    smsPurpose: { sign_in: 'sign-in', phone_verify: 'verify phone', email_change: 'confirm e-mail', link_confirm: 'link app', reauth: 'confirm change' },
    noticeSubject: 'Security notice: {what}',
    notice: {
      device_linked: 'An authenticator app was linked to your account',
      device_removed: 'An authenticator app was removed from your account',
      method_changed: 'Your two-factor method was changed',
      account_locked: 'Your account was locked after too many incorrect codes',
      bypass_granted: 'An administrator granted you a one-time sign-in without two-factor authentication',
      phone_changed: 'The mobile number of your account was changed',
      email_changed: 'The e-mail address of your account was changed',
      push_suspended: 'Sign-in requests to the Countersign Authenticator were paused after several went unanswered or were denied; sign in once with another method to turn them back on',
      push_not_me: 'A sign-in request was refused on the phone as "This wasn\'t me": someone may know the password',
      recovery_codes_generated: 'New recovery codes were made for your account; the old ones no longer work',
      recovery_code_used: 'A recovery code was used to sign in to your account; each code works once, make new ones under My Account > Security when few are left',
      passkey_added: 'A passkey or security key was added to your account',
      password_changed: 'The password of your account was changed; every other session was signed out',
      password_reset: 'The password of the account was reset with a link sent by e-mail; every session was signed out',
      email_changed_away: 'The e-mail address of your account was changed to another address; messages now go there, not here',
    },
    resetSubject: 'Reset your {org} password',
    resetIntro: 'Someone, probably you, asked to reset the password of the {org} account {username}. Choose a new password here:',
    resetValid: 'The link works once, for {minutes} minutes; only the newest link you asked for works. Signing in afterwards still asks for your second factor.',
    resetNotYou: 'If you did not ask for this, ignore this message: your password stays as it is.',
    resetOffSubject: 'Your {org} password',
    resetOff: 'Someone, probably you, asked to reset the password of the {org} account {username}. {org} does not let you reset it yourself: ask your administrator for a new password.',
    noticeAccount: 'Account: {username} ({org})',
    noticeTime: 'Time: {time} (UTC)',
    noticeBrowser: 'Browser: {browser}',
    noticeIp: 'IP address: {ip}',
    noticeUnknown: 'unknown',
    noticeNotYou: 'If this was not you, contact your administrator straight away.',
  },
  nl: {
    codeSubject: 'Uw verificatiecode',
    codeIntro: {
      sign_in: 'Gebruik deze code om in te loggen bij {org}:',
      phone_verify: 'Gebruik deze code om uw mobiele nummer voor {org} te bevestigen:',
      email_change: 'Gebruik deze code om dit e-mailadres voor uw {org}-account te bevestigen:',
      link_confirm: 'Gebruik deze code om het koppelen van een authenticator-app aan uw {org}-account te bevestigen:',
      reauth: 'Gebruik deze code om te bevestigen dat u het bent, voor een wijziging in uw {org}-account:',
    },
    codeValid: 'De code is {minutes} minuten geldig en werkt één keer. Deel hem nooit met iemand.',
    codeNotYou: 'Heeft u deze code niet aangevraagd? Dan kunt u dit bericht negeren; met alleen de code kan niemand inloggen.',
    sms: '{code} is uw {org}-code ({purpose}). {minutes} min geldig. Deel hem nooit.',
    smsPurpose: { sign_in: 'inloggen', phone_verify: 'telefoon bevestigen', email_change: 'e-mail bevestigen', link_confirm: 'app koppelen', reauth: 'wijziging bevestigen' },
    noticeSubject: 'Beveiligingsmelding: {what}',
    notice: {
      device_linked: 'Er is een authenticator-app aan uw account gekoppeld',
      device_removed: 'Er is een authenticator-app van uw account verwijderd',
      method_changed: 'Uw tweestapsmethode is gewijzigd',
      account_locked: 'Uw account is geblokkeerd na te veel onjuiste codes',
      bypass_granted: 'Een beheerder heeft u eenmalig inloggen zonder tweestapsverificatie toegestaan',
      phone_changed: 'Het mobiele nummer van uw account is gewijzigd',
      email_changed: 'Het e-mailadres van uw account is gewijzigd',
      push_suspended: 'Aanmeldverzoeken naar de Countersign Authenticator zijn gepauzeerd nadat er meerdere onbeantwoord bleven of werden geweigerd; meld u één keer aan met een andere methode om ze weer aan te zetten',
      push_not_me: 'Een aanmeldverzoek is op de telefoon geweigerd met "Dit was ik niet": iemand kent mogelijk het wachtwoord',
      recovery_codes_generated: 'Er zijn nieuwe herstelcodes voor uw account gemaakt; de oude werken niet meer',
      recovery_code_used: 'Er is met een herstelcode ingelogd op uw account; elke code werkt één keer, maak nieuwe aan onder Mijn account > Beveiliging als er nog maar een paar over zijn',
      passkey_added: 'Er is een passkey of beveiligingssleutel aan uw account toegevoegd',
      password_changed: 'Het wachtwoord van uw account is gewijzigd; alle andere sessies zijn afgemeld',
      password_reset: 'Het wachtwoord van het account is opnieuw ingesteld via een link per e-mail; alle sessies zijn afgemeld',
      email_changed_away: 'Het e-mailadres van uw account is gewijzigd in een ander adres; berichten gaan nu daarheen, niet meer hierheen',
    },
    resetSubject: 'Stel uw {org}-wachtwoord opnieuw in',
    resetIntro: 'Iemand, waarschijnlijk u, heeft gevraagd het wachtwoord van het {org}-account {username} opnieuw in te stellen. Kies hier een nieuw wachtwoord:',
    resetValid: 'De link werkt één keer, {minutes} minuten lang; alleen de nieuwste link die u heeft aangevraagd werkt. Bij het inloggen daarna wordt nog steeds om uw tweede factor gevraagd.',
    resetNotYou: 'Heeft u dit niet gevraagd? Negeer dan dit bericht: uw wachtwoord blijft zoals het is.',
    resetOffSubject: 'Uw {org}-wachtwoord',
    resetOff: 'Iemand, waarschijnlijk u, heeft gevraagd het wachtwoord van het {org}-account {username} opnieuw in te stellen. Bij {org} kunt u dat niet zelf doen: vraag uw beheerder om een nieuw wachtwoord.',
    noticeAccount: 'Account: {username} ({org})',
    noticeTime: 'Tijd: {time} (UTC)',
    noticeBrowser: 'Browser: {browser}',
    noticeIp: 'IP-adres: {ip}',
    noticeUnknown: 'onbekend',
    noticeNotYou: 'Was u dit niet? Neem dan meteen contact op met uw beheerder.',
  },
} as const satisfies Record<Language, unknown>

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? '')
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)
}

function html(language: Language, paragraphs: Array<{ text: string; strong?: boolean }>): string {
  const body = paragraphs
    .map((p) => (p.strong ? `<p style="font-size:28px;letter-spacing:4px;font-weight:bold">${escapeHtml(p.text)}</p>` : `<p>${escapeHtml(p.text).replace(/\n/g, '<br>')}</p>`))
    .join('\n')
  return `<!doctype html>\n<html lang="${language}"><body style="font-family:sans-serif">\n${body}\n</body></html>`
}

/** The e-mail that carries a code. */
export function codeEmail(language: Language, input: { code: string; purpose: CodePurpose; organisation: string; minutes: number }) {
  const t = texts[language]
  const intro = fill(t.codeIntro[input.purpose], { org: input.organisation })
  const valid = fill(t.codeValid, { minutes: String(input.minutes) })
  return {
    subject: t.codeSubject,
    text: `${intro}\n\n${input.code}\n\n${valid}\n${t.codeNotYou}\n`,
    html: html(language, [{ text: intro }, { text: input.code, strong: true }, { text: valid }, { text: t.codeNotYou }]),
  }
}

/** The text message that carries a code: short enough for one SMS part. */
export function codeSms(language: Language, input: { code: string; purpose: CodePurpose; organisation: string; minutes: number }): string {
  const t = texts[language]
  return fill(t.sms, { code: input.code, org: input.organisation.slice(0, 40), purpose: t.smsPurpose[input.purpose], minutes: String(input.minutes) })
}

/** A security notice (F-POL-7): what happened, when, from which browser and IP. */
export function securityNoticeEmail(
  language: Language,
  input: { notice: SecurityNotice; username: string; organisation: string; at: Date; browser: string | null; ip: string | null },
) {
  const t = texts[language]
  const what = t.notice[input.notice]
  // Attacker-controlled text (the user agent) is bounded and stripped of control characters (PU-07).
  const browser = (input.browser ?? t.noticeUnknown).replace(/[\p{Cc}\p{Cf}]/gu, ' ').slice(0, 100)
  const lines = [
    fill(t.noticeAccount, { username: input.username, org: input.organisation }),
    fill(t.noticeTime, { time: input.at.toISOString().replace('T', ' ').slice(0, 19) }),
    fill(t.noticeBrowser, { browser }),
    fill(t.noticeIp, { ip: (input.ip ?? t.noticeUnknown).slice(0, 64) }),
  ]
  return {
    subject: fill(t.noticeSubject, { what }),
    text: `${what}.\n\n${lines.join('\n')}\n\n${t.noticeNotYou}\n`,
    html: html(language, [{ text: `${what}.` }, { text: lines.join('\n') }, { text: t.noticeNotYou }]),
  }
}

/** The e-mail with a password reset link (issue 17, RB-04). */
export function passwordResetEmail(language: Language, input: { link: string; username: string; organisation: string; minutes: number }) {
  const t = texts[language]
  const values = { org: input.organisation, username: input.username, minutes: String(input.minutes) }
  const intro = fill(t.resetIntro, values)
  const valid = fill(t.resetValid, values)
  return {
    subject: fill(t.resetSubject, values),
    text: `${intro}\n\n${input.link}\n\n${valid}\n${t.resetNotYou}\n`,
    html: html(language, [{ text: intro }, { text: input.link }, { text: valid }, { text: t.resetNotYou }]),
  }
}

/** The answer to "Forgot your password?" where the organisation has turned self-service off. */
export function passwordResetOffEmail(language: Language, input: { username: string; organisation: string }) {
  const t = texts[language]
  const values = { org: input.organisation, username: input.username }
  const text = fill(t.resetOff, values)
  return { subject: fill(t.resetOffSubject, values), text: `${text}\n`, html: html(language, [{ text }]) }
}
