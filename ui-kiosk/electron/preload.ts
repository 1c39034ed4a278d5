/**
 * The kiosk page's preload (sandboxed, so CommonJS and `require('electron')` only; bundled into
 * dist/preload.cjs). It gives the page `window.suanpan = { token, apiOrigin }`: the per-boot token
 * the local API wants on every call, and where that API is. Nothing else crosses the bridge: no
 * ipcRenderer, no Node, no function.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { BRIDGE_CHANNEL, parseKioskBridge } from './settings.ts';

// Synchronous, once per page load: the page's own scripts run after this and find the token there.
const bridge = parseKioskBridge(ipcRenderer.sendSync(BRIDGE_CHANNEL));
if (bridge) {
  contextBridge.exposeInMainWorld('suanpan', { token: bridge.token, apiOrigin: bridge.apiOrigin });
}
// Without an answer the page gets no token: its API calls answer 401 and it says so.
