/**
 * Notifier channels (DESIGN.md §1): a waiting browser's sign-in flow, an open app's device, and a
 * pairing QR code waiting for the app. Payloads are hints; listeners re-read the store.
 */
export const channels = {
  flow: (flowId: string) => `flow:${flowId}`,
  device: (deviceId: string) => `device:${deviceId}`,
  pairing: (deviceId: string) => `pairing:${deviceId}`,
}
