// Passkeys (WebAuthn) in the browser, for the portal's "add a passkey"
// form (#passkey-add) and the sign-in page's "sign in with a passkey" form
// (#passkey-signin). Both forms stay hidden unless the browser has
// passkeys; each fetches the ceremony's options from its data-options URL
// (posting its CSRF token and, on the sign-in page, the pending request),
// opens the browser's passkey dialog, writes the answer into the form's
// hidden fields and submits the form as an ordinary POST, so the server
// answers with a page or a redirect as for any other form.
(function () {
  "use strict";

  function toBuffer(b64url) {
    var s = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) { s += "="; }
    var bin = atob(s);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) { bytes[i] = bin.charCodeAt(i); }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    if (!buffer) { return null; }
    var bytes = new Uint8Array(buffer);
    var s = "";
    for (var i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // The server's JSON spells absent options as null; the browser wants
  // them left out.
  function withoutNulls(value) {
    if (Array.isArray(value)) { return value.map(withoutNulls); }
    if (value && typeof value === "object") {
      var out = {};
      Object.keys(value).forEach(function (k) {
        if (value[k] !== null) { out[k] = withoutNulls(value[k]); }
      });
      return out;
    }
    return value;
  }

  function fetchOptions(form) {
    var body = new URLSearchParams();
    ["csrf", "req"].forEach(function (name) {
      if (form.elements[name]) { body.append(name, form.elements[name].value); }
    });
    return fetch(form.getAttribute("data-options"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString()
    }).then(function (res) {
      if (!res.ok) { throw new Error("options " + res.status); }
      return res.json();
    });
  }

  function failed(form) {
    var note = document.getElementById(form.id + "-failed");
    if (note) { note.hidden = false; }
    form.querySelector("button").disabled = false;
  }

  function register(form) {
    return fetchOptions(form).then(function (o) {
      var pk = withoutNulls(o.publicKey);
      pk.challenge = toBuffer(pk.challenge);
      pk.user.id = toBuffer(pk.user.id);
      (pk.excludeCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
      form.elements.handle.value = o.handle;
      return navigator.credentials.create({ publicKey: pk });
    }).then(function (cred) {
      return {
        id: cred.id,
        rawId: toBase64url(cred.rawId),
        type: cred.type,
        response: {
          attestationObject: toBase64url(cred.response.attestationObject),
          clientDataJSON: toBase64url(cred.response.clientDataJSON),
          transports: cred.response.getTransports ? cred.response.getTransports() : undefined
        },
        extensions: cred.getClientExtensionResults()
      };
    });
  }

  function signIn(form) {
    return fetchOptions(form).then(function (o) {
      var pk = withoutNulls(o.publicKey);
      pk.challenge = toBuffer(pk.challenge);
      (pk.allowCredentials || []).forEach(function (c) { c.id = toBuffer(c.id); });
      form.elements.handle.value = o.handle;
      return navigator.credentials.get({ publicKey: pk });
    }).then(function (cred) {
      return {
        id: cred.id,
        rawId: toBase64url(cred.rawId),
        type: cred.type,
        response: {
          authenticatorData: toBase64url(cred.response.authenticatorData),
          clientDataJSON: toBase64url(cred.response.clientDataJSON),
          signature: toBase64url(cred.response.signature),
          userHandle: toBase64url(cred.response.userHandle)
        },
        extensions: cred.getClientExtensionResults()
      };
    });
  }

  function wire(id, ceremony) {
    var form = document.getElementById(id);
    if (!form) { return; }
    if (!window.PublicKeyCredential || !navigator.credentials || !window.fetch) { return; }
    form.hidden = false;
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      if (!form.reportValidity()) { return; }
      form.querySelector("button").disabled = true;
      ceremony(form).then(function (answer) {
        form.elements.credential.value = JSON.stringify(answer);
        form.submit();
      }).catch(function () { failed(form); });
    });
  }

  wire("passkey-add", register);
  wire("passkey-signin", signIn);
})();
