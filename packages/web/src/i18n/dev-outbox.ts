import { area } from './area'

/** The development outbox page (F-OTP-5). */
export const devOutbox = area(
  {
    'outbox.title': 'Development outbox',
    'outbox.intro': 'E-mail and text messages that were not sent but kept here, newest first. Only in development setups.',
    'outbox.filter': 'Address or phone number',
    'outbox.show': 'Show',
    'outbox.all': 'Show all',
    'outbox.empty': 'No messages.',
    'outbox.unused': 'No channel delivers to the outbox: e-mail and text messages go to real providers.',
    'outbox.channel.sms': 'Text message',
    'outbox.channel.email': 'E-mail',
    'outbox.to': 'To',
    'outbox.sentAt': 'Sent',
  },
  {
    'outbox.title': 'Ontwikkel-outbox',
    'outbox.intro': 'E-mails en sms-berichten die niet verstuurd zijn maar hier bewaard, nieuwste eerst. Alleen in ontwikkelopstellingen.',
    'outbox.filter': 'Adres of telefoonnummer',
    'outbox.show': 'Tonen',
    'outbox.all': 'Alles tonen',
    'outbox.empty': 'Geen berichten.',
    'outbox.unused': 'Geen kanaal levert aan de outbox: e-mail en sms gaan naar echte aanbieders.',
    'outbox.channel.sms': 'Sms',
    'outbox.channel.email': 'E-mail',
    'outbox.to': 'Aan',
    'outbox.sentAt': 'Verstuurd',
  },
)
