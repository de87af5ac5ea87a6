import type { ErrorCode } from '@countersign/protocol'

export type Language = 'en' | 'nl'

/** Every user-facing text of the server, in English and Dutch (F-X-3). A test checks both exist. */
export const messages = {
  en: {
    'error.invalidRequest': 'The request is not valid.',
    'error.invalidField': 'The field "{field}" is not valid: {detail}.',
    'error.unsupportedMediaType': 'Send the request as JSON (Content-Type: application/json).',
    'error.payloadTooLarge': 'The request is too large.',
    'error.headersTooLarge': 'The request’s headers are too large (too many or too long cookies?).',
    'error.methodNotAllowed': 'This method is not allowed here.',
    'error.credentialsInvalid': 'The username or password is incorrect.',
    'error.codeInvalid': 'The code is incorrect or has expired. Try again with a new code.',
    'error.sessionRequired': 'Please sign in.',
    'error.reauthenticationRequired': 'For this change, please confirm it is you: sign in again.',
    'error.enrolmentRequired': 'Set up a second factor first.',
    'error.passwordChangeRequired': 'Your administrator asks you to choose a new password before you go on.',
    'error.resetLinkInvalid': 'This link does not work any more: it was used, it expired, or a newer one was sent. Ask for a new link.',
    'password.too_short': 'Choose a longer password: at least {minLength} characters. A few unrelated words make a long password easy to remember.',
    'password.common': 'This is one of the most used passwords, so it is among the first anyone tries. Choose another.',
    'password.similar_to_common': 'This is a well-known password with small changes, which attackers try early. Choose another.',
    'password.personal': 'This password is built on your user name, your organisation’s name or "Countersign", which are the first things tried. Choose another.',
    'password.repeated': 'Repeated characters or words, such as "aaaa" or "abcabc", are easy to guess. Choose another.',
    'password.sequence': 'Sequences and keyboard rows, such as "1234" or "qwerty", are easy to guess. Choose another.',
    'password.guessable': 'This password would be guessed too quickly. Make it longer, for example with a few unrelated words.',
    'password.same_as_current': 'The new password must differ from your current one.',
    'error.csrfRejected': 'This request came from another site and was refused.',
    'error.forbidden': 'You are not allowed to do this.',
    'error.pushDenied': 'The sign-in was denied on your device.',
    'error.notFound': 'Not found.',
    'error.pushPending': 'Waiting for approval on your device.',
    'error.signatureInvalid': 'This device is not linked any more, or its request was not signed correctly. Check that the phone\'s clock is right.',
    'error.numberMismatch': 'The number did not match the one on the sign-in screen, so the sign-in was refused.',
    'error.challengeClosed': 'This sign-in request has already been answered.',
    'error.challengeExpired': 'This sign-in request has expired. Start the sign-in again.',
    'error.deviceLimitReached': 'You have reached the maximum number of devices. Remove one before adding another.',
    'error.lastFactorRequired': 'Two-factor authentication is required for you, so you cannot remove your last device. Add another one first.',
    'error.usernameTaken': 'This username is already taken.',
    'error.slugTaken': 'This short name is already taken.',
    'error.flowExpired': 'Your sign-in has expired. Please start again.',
    'error.accountLocked': 'Your account is locked after too many incorrect codes. Contact your administrator.',
    'error.rateLimited': 'Too many attempts. Please wait a moment and try again.',
    'error.resendTooSoon': 'Please wait a moment before asking for a new code.',
    'error.deliveryFailed': 'We could not send a code. Please try another method, or try again later.',
    'error.overloaded': 'The server is busy. Please try again in a moment.',
    'error.unavailable': 'The service is temporarily unavailable.',
    'error.internal': 'Something went wrong on our side.',
  },
  nl: {
    'error.invalidRequest': 'Het verzoek is niet geldig.',
    'error.invalidField': 'Het veld "{field}" is niet geldig.',
    'error.unsupportedMediaType': 'Stuur het verzoek als JSON (Content-Type: application/json).',
    'error.payloadTooLarge': 'Het verzoek is te groot.',
    'error.headersTooLarge': 'De headers van het verzoek zijn te groot (te veel of te lange cookies?).',
    'error.methodNotAllowed': 'Deze methode is hier niet toegestaan.',
    'error.credentialsInvalid': 'De gebruikersnaam of het wachtwoord is onjuist.',
    'error.codeInvalid': 'De code is onjuist of verlopen. Probeer het opnieuw met een nieuwe code.',
    'error.sessionRequired': 'Log eerst in.',
    'error.reauthenticationRequired': 'Bevestig voor deze wijziging dat u het bent: log opnieuw in.',
    'error.enrolmentRequired': 'Stel eerst een tweede factor in.',
    'error.passwordChangeRequired': 'Je beheerder vraagt je eerst een nieuw wachtwoord te kiezen.',
    'error.resetLinkInvalid': 'Deze link werkt niet meer: hij is al gebruikt, verlopen, of er is een nieuwere verstuurd. Vraag een nieuwe link aan.',
    'password.too_short': 'Kies een langer wachtwoord: minstens {minLength} tekens. Een paar losse woorden maken een lang wachtwoord dat makkelijk te onthouden is.',
    'password.common': 'Dit is een van de meest gebruikte wachtwoorden, dus een van de eerste die iemand probeert. Kies een ander.',
    'password.similar_to_common': 'Dit is een bekend wachtwoord met kleine wijzigingen; aanvallers proberen zulke wachtwoorden vroeg. Kies een ander.',
    'password.personal': 'Dit wachtwoord is gebaseerd op je gebruikersnaam, de naam van je organisatie of "Countersign"; die worden het eerst geprobeerd. Kies een ander.',
    'password.repeated': 'Herhaalde tekens of woorden, zoals "aaaa" of "abcabc", zijn makkelijk te raden. Kies een ander.',
    'password.sequence': 'Reeksen en toetsenbordrijen, zoals "1234" of "qwerty", zijn makkelijk te raden. Kies een ander.',
    'password.guessable': 'Dit wachtwoord is te snel te raden. Maak het langer, bijvoorbeeld met een paar losse woorden.',
    'password.same_as_current': 'Het nieuwe wachtwoord moet anders zijn dan je huidige.',
    'error.csrfRejected': 'Dit verzoek kwam van een andere site en is geweigerd.',
    'error.forbidden': 'U mag dit niet doen.',
    'error.pushDenied': 'De aanmelding is op uw apparaat geweigerd.',
    'error.notFound': 'Niet gevonden.',
    'error.pushPending': 'Wacht op goedkeuring op uw apparaat.',
    'error.signatureInvalid': 'Dit apparaat is niet meer gekoppeld, of het verzoek was niet goed ondertekend. Controleer of de klok van de telefoon goed staat.',
    'error.numberMismatch': 'Het getal kwam niet overeen met het getal op het aanmeldscherm, dus de aanmelding is geweigerd.',
    'error.challengeClosed': 'Dit aanmeldverzoek is al beantwoord.',
    'error.challengeExpired': 'Dit aanmeldverzoek is verlopen. Begin opnieuw met aanmelden.',
    'error.deviceLimitReached': 'U heeft het maximale aantal apparaten bereikt. Verwijder er eerst een.',
    'error.lastFactorRequired': 'Tweestapsverificatie is voor u verplicht, dus u kunt uw laatste apparaat niet verwijderen. Voeg eerst een ander toe.',
    'error.usernameTaken': 'Deze gebruikersnaam is al in gebruik.',
    'error.slugTaken': 'Deze korte naam is al in gebruik.',
    'error.flowExpired': 'Uw aanmelding is verlopen. Begin opnieuw.',
    'error.accountLocked': 'Uw account is geblokkeerd na te veel onjuiste codes. Neem contact op met uw beheerder.',
    'error.rateLimited': 'Te veel pogingen. Wacht even en probeer het opnieuw.',
    'error.resendTooSoon': 'Wacht even voordat u een nieuwe code aanvraagt.',
    'error.deliveryFailed': 'We konden geen code versturen. Probeer een andere methode, of probeer het later opnieuw.',
    'error.overloaded': 'De server is druk. Probeer het zo opnieuw.',
    'error.unavailable': 'De dienst is tijdelijk niet beschikbaar.',
    'error.internal': 'Er ging bij ons iets mis.',
  },
} as const satisfies Record<Language, Record<string, string>>

export type MessageId = keyof (typeof messages)['en']

/** The words for a refused new password (422 PASSWORD_REJECTED), by reason. */
export function passwordRejectionMessage(reason: unknown): MessageId {
  const id = `password.${String(reason)}`
  return id in messages.en ? (id as MessageId) : 'password.guessable'
}

export function translate(language: Language, id: MessageId, values: Record<string, string> = {}): string {
  return messages[language][id].replace(/\{(\w+)\}/g, (_, key: string) => values[key] ?? '')
}

/** Picks English or Dutch from `Accept-Language`, by quality (F-X-3). */
export function languageFrom(acceptLanguage: string | undefined): Language {
  if (!acceptLanguage) return 'en'
  const ranked = acceptLanguage
    .slice(0, 200)
    .split(',')
    .map((part) => {
      const [tag = '', ...params] = part.trim().toLowerCase().split(';')
      const q = params.map((p) => /^q=([0-9.]+)$/.exec(p.trim())?.[1]).find(Boolean)
      return { tag, q: q === undefined ? 1 : Number(q) }
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q)
  for (const { tag } of ranked) {
    if (tag === 'nl' || tag.startsWith('nl-')) return 'nl'
    if (tag === 'en' || tag.startsWith('en-')) return 'en'
  }
  return 'en'
}

/** The HTTP status and message of every error code; the compiler insists on an entry for each. */
export const errorResponses: Record<ErrorCode, { status: number; message: MessageId }> = {
  INVALID_REQUEST: { status: 400, message: 'error.invalidRequest' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'error.unsupportedMediaType' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'error.payloadTooLarge' },
  HEADERS_TOO_LARGE: { status: 431, message: 'error.headersTooLarge' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'error.methodNotAllowed' },
  CREDENTIALS_INVALID: { status: 401, message: 'error.credentialsInvalid' },
  CODE_INVALID: { status: 401, message: 'error.codeInvalid' },
  SESSION_REQUIRED: { status: 401, message: 'error.sessionRequired' },
  REAUTHENTICATION_REQUIRED: { status: 403, message: 'error.reauthenticationRequired' },
  ENROLMENT_REQUIRED: { status: 403, message: 'error.enrolmentRequired' },
  PASSWORD_CHANGE_REQUIRED: { status: 403, message: 'error.passwordChangeRequired' },
  RESET_LINK_INVALID: { status: 400, message: 'error.resetLinkInvalid' },
  // The message is the reason's own (`password.<reason>`), picked where the error is rendered.
  PASSWORD_REJECTED: { status: 422, message: 'password.guessable' },
  CSRF_REJECTED: { status: 403, message: 'error.csrfRejected' },
  FORBIDDEN: { status: 403, message: 'error.forbidden' },
  PUSH_DENIED: { status: 403, message: 'error.pushDenied' },
  NOT_FOUND: { status: 404, message: 'error.notFound' },
  PUSH_PENDING: { status: 409, message: 'error.pushPending' },
  SIGNATURE_INVALID: { status: 401, message: 'error.signatureInvalid' },
  NUMBER_MISMATCH: { status: 401, message: 'error.numberMismatch' },
  CHALLENGE_CLOSED: { status: 409, message: 'error.challengeClosed' },
  CHALLENGE_EXPIRED: { status: 410, message: 'error.challengeExpired' },
  DEVICE_LIMIT_REACHED: { status: 409, message: 'error.deviceLimitReached' },
  LAST_FACTOR_REQUIRED: { status: 409, message: 'error.lastFactorRequired' },
  USERNAME_TAKEN: { status: 409, message: 'error.usernameTaken' },
  SLUG_TAKEN: { status: 409, message: 'error.slugTaken' },
  FLOW_EXPIRED: { status: 410, message: 'error.flowExpired' },
  ACCOUNT_LOCKED: { status: 423, message: 'error.accountLocked' },
  RATE_LIMITED: { status: 429, message: 'error.rateLimited' },
  RESEND_TOO_SOON: { status: 429, message: 'error.resendTooSoon' },
  DELIVERY_FAILED: { status: 502, message: 'error.deliveryFailed' },
  OVERLOADED: { status: 503, message: 'error.overloaded' },
  UNAVAILABLE: { status: 503, message: 'error.unavailable' },
  INTERNAL: { status: 500, message: 'error.internal' },
}
