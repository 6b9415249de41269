// A real OpenID provider (the npm package oidc-provider) for Foresight's single sign-on tests,
// on loopback only. One confidential client that must use PKCE; people sign in through the
// package's own login and consent pages (devInteractions), with any password. Each person's
// agency and role claims are given in FORESIGHT_TEST_ACCOUNTS (JSON: login -> claims); a
// login not listed has no such claims.
import Provider from "oidc-provider";

const env = process.env;
const accounts = JSON.parse(env.FORESIGHT_TEST_ACCOUNTS || "{}");
const issuer = `http://127.0.0.1:${env.PORT}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: env.CLIENT_ID,
    client_secret: env.CLIENT_SECRET,
    redirect_uris: [env.REDIRECT_URI],
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_basic",
  }],
  pkce: { required: () => true },
  claims: { openid: ["sub"], profile: ["preferred_username", "agency", "role"] },
  async findAccount(_ctx, id) {
    return { accountId: id, claims: async () => ({ sub: id, ...(accounts[id] || {}) }) };
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["foresight-test-only"] },
});
provider.listen(Number(env.PORT), "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});
