"use strict";
// A viewer WebSocket that reconnects with backoff (1 s doubling to 30 s) unless the
// server refused the viewer (4401 not signed in, 4403 not allowed).
window.sensoriumSocket = function (path, { onFrame, onState }) {

  let retryDelay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(`${scheme}${location.host}${path}`);
    socket.onopen = () => { onState("open"); retryDelay = 1000; };
    socket.onmessage = (event) => onFrame(JSON.parse(event.data));
    socket.onclose = (event) => {
      if (event.code === 4401 || event.code === 4403) { onState("refused"); return; }
      onState("reconnecting");
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    };
  }
  connect();
};
