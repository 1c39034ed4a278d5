/** The renderer's entry: the token, the host API and its event stream, and the app. */
import { render } from 'preact';
import { HostApi } from './api/client.ts';
import { HostEvents } from './api/events.ts';
import { takeToken } from './api/token.ts';
import { App, NoTokenPage } from './app.tsx';
import './styles/kiosk.css';

const root = document.getElementById('app') as HTMLElement;
const token = takeToken(window);
if (!token) {
  render(<NoTokenPage />, root);
} else {
  // The host serves this page, so its origin is the API's; Electron's preload says so explicitly.
  const origin = window.suanpan?.apiOrigin ?? window.location.origin;
  const api = new HostApi({ origin, token });
  render(<App api={api} createEvents={(handlers) => new HostEvents({ origin, token, ...handlers })} />, root);
}
