/**
 * The console page's one inline script, static so the page's CSP can name it by hash: it reads the `wss://`
 * ticket URI from `#console`'s `data-socket-url` (and removes it from the DOM), then hands it to the VMware
 * HTML Console SDK as its documentation shows: `WMKS.createWMKS('<container id>', {}).connect(url)`. Its only
 * words for the person are fixed strings; the SDK's own errors are not shown.
 */
export const WEBMKS_BOOTSTRAP = `(function () {
  var container = document.getElementById('console');
  if (!container) return;
  var url = container.getAttribute('data-socket-url');
  container.removeAttribute('data-socket-url');
  function say(text) {
    var line = document.createElement('p');
    line.setAttribute('role', 'status');
    line.textContent = text;
    container.parentNode.insertBefore(line, container);
  }
  var sdk = window.WMKS;
  if (!sdk || typeof sdk.createWMKS !== 'function') {
    say('The VMware HTML Console SDK did not load. Use "Open in VMRC instead", or ask the broker operator to check htmlConsole.scriptUrls.');
    return;
  }
  try {
    var wmks = sdk.createWMKS('console', {});
    var events = sdk.CONST && sdk.CONST.Events;
    var states = sdk.CONST && sdk.CONST.ConnectionState;
    if (events && states && typeof wmks.register === 'function') {
      wmks.register(events.CONNECTION_STATE_CHANGE, function (_event, data) {
        if (data && data.state === states.DISCONNECTED) say('The console is disconnected. A console link works once: ask for a new one.');
      });
    }
    wmks.connect(url);
  } catch (error) {
    say('The console could not start. Use "Open in VMRC instead".');
  }
})();
`;
