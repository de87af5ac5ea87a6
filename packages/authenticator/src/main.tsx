import { render } from 'preact'
import { App } from './app'
import './styles.css'

// The service worker keeps the shell for offline codes and shows push notifications. Built
// only for production (`npm run build`); the dev server has no sw.js.
if (import.meta.env.PROD && 'serviceWorker' in navigator) {
  void navigator.serviceWorker.register(`${import.meta.env.BASE_URL}sw.js`, { scope: import.meta.env.BASE_URL }).catch(() => undefined)
}

render(<App />, document.getElementById('app')!)
