// The sign-in page: password login, then the screen of the user's role and region (or
// the address the user was sent here from).

import { api, ApiError, describeError, forgetKeptData, homeFor } from "./api.js";

/** Only a screen of this site may be the return address. */
function returnAddress() {
  const next = new URL(location.href).searchParams.get("next") || "";
  return next.startsWith("/screens/") && !next.startsWith("//") ? next : null;
}

async function goOn() {
  const me = await api("/api/auth/me");
  location.replace(returnAddress() || homeFor(me));
}

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
const submit = document.getElementById("login-submit");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  submit.disabled = true;
  try {
    // The answer sets the session cookie; the token in its body is for API clients.
    await api("/api/auth/login", {
      method: "POST",
      body: { username: form.username.value.trim(), password: form.password.value },
    });
    await forgetKeptData();
    await goOn();
  } catch (failure) {
    error.hidden = false;
    error.textContent =
      failure instanceof ApiError && failure.status === 401 ? "用户名或密码错误" : describeError(failure);
    submit.disabled = false;
  }
});

// Already signed in: go straight on (the cookie is HttpOnly, so only the server can tell).
goOn().catch(() => {});
