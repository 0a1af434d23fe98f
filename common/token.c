/* Access tokens: ES256 JWT issue with libjwt, and a verification that trusts libjwt only for
 * the signature and checks algorithm, header and every claim (with its JSON type) itself. */
#include "crt/token.h"

#include <errno.h>
#include <jansson.h>
#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crt/validate.h"

static unsigned char *read_pem(const char *path, int *len, bool private_key, char *err,
                               size_t errlen)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    if (f == NULL || fstat(fileno(f), &st) != 0) {
        snprintf(err, errlen, "cannot open %s", path);
        goto done;
    }
    if (private_key && (st.st_mode & 077)) {
        snprintf(err, errlen, "%s must not be readable by group or others (chmod 600)", path);
        goto done;
    }
    if (st.st_size <= 0 || st.st_size > 16384 || (buf = malloc((size_t)st.st_size + 1)) == NULL) {
        snprintf(err, errlen, "%s is empty or too large", path);
        goto done;
    }
    if (fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        snprintf(err, errlen, "cannot read %s", path);
        free(buf);
        buf = NULL;
        goto done;
    }
    buf[st.st_size] = '\0';
    *len = (int)st.st_size;
done:
    if (f)
        fclose(f);
    return buf;
}

bool token_keys_load(struct token_keys *k, const char *priv_path, const char *pub_path,
                     const char *issuer, const char *audience, char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    snprintf(k->issuer, sizeof k->issuer, "%s", issuer);
    snprintf(k->audience, sizeof k->audience, "%s", audience);
    if (priv_path && !(k->priv = read_pem(priv_path, &k->priv_len, true, err, errlen)))
        return false;
    if (!(k->pub = read_pem(pub_path, &k->pub_len, false, err, errlen))) {
        token_keys_free(k);
        return false;
    }
    return true;
}

void token_keys_free(struct token_keys *k)
{
    if (k->priv)
        memset(k->priv, 0, (size_t)k->priv_len);
    free(k->priv);
    free(k->pub);
    k->priv = k->pub = NULL;
}

char *token_issue(const struct token_keys *k, const struct token_claims *c)
{
    jwt_t *jwt = NULL;
    char *out = NULL;
    if (k->priv == NULL || jwt_new(&jwt) != 0)
        return NULL;
    if (jwt_add_grant(jwt, "iss", k->issuer) == 0 && jwt_add_grant(jwt, "aud", k->audience) == 0 &&
        jwt_add_grant(jwt, "sub", c->sub) == 0 && jwt_add_grant_int(jwt, "ctl", c->ctl) == 0 &&
        jwt_add_grant(jwt, "role", c->role) == 0 && jwt_add_grant(jwt, "sid", c->sid) == 0 &&
        jwt_add_grant_int(jwt, "iat", c->iat) == 0 && jwt_add_grant_int(jwt, "nbf", c->nbf) == 0 &&
        jwt_add_grant_int(jwt, "exp", c->exp) == 0 &&
        jwt_add_grants_json(jwt, strcmp(c->role, "partner") == 0
                                     ? "{\"amr\":[\"client\"]}"
                                     : "{\"amr\":[\"pwd\",\"otp\"]}") == 0 &&
        jwt_set_alg(jwt, JWT_ALG_ES256, k->priv, k->priv_len) == 0)
        out = jwt_encode_str(jwt);
    jwt_free(jwt);
    return out;
}

static const char *const roles[] = {"intake", "caseworker", "coordinator", "education", "dpo",
                                    "admin", "partner", NULL};

static bool string_claim(json_t *claims, const char *name, char *out, size_t len)
{
    json_t *v = json_object_get(claims, name);
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= len)
        return false;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return true;
}

static bool int_claim(json_t *claims, const char *name, long *out)
{
    json_t *v = json_object_get(claims, name);
    if (!json_is_integer(v))
        return false;
    *out = (long)json_integer_value(v);
    return true;
}

/* amr must be exactly ["pwd","otp"] for staff (both factors were used) and ["client"] for a
 * partner (OAuth2 client credentials). */
static bool amr_ok(json_t *claims, bool partner)
{
    json_t *amr = json_object_get(claims, "amr");
    if (partner)
        return json_is_array(amr) && json_array_size(amr) == 1 &&
               json_is_string(json_array_get(amr, 0)) &&
               strcmp(json_string_value(json_array_get(amr, 0)), "client") == 0;
    return json_is_array(amr) && json_array_size(amr) == 2 &&
           json_is_string(json_array_get(amr, 0)) && json_is_string(json_array_get(amr, 1)) &&
           strcmp(json_string_value(json_array_get(amr, 0)), "pwd") == 0 &&
           strcmp(json_string_value(json_array_get(amr, 1)), "otp") == 0;
}

static enum token_result check_claims(const struct token_keys *k, json_t *cl, time_t now,
                                      struct token_claims *c)
{
    char iss[64], aud[64];
    long ctl;
    bool ok = string_claim(cl, "iss", iss, sizeof iss) && string_claim(cl, "aud", aud, sizeof aud) &&
              string_claim(cl, "sub", c->sub, sizeof c->sub) &&
              string_claim(cl, "role", c->role, sizeof c->role) &&
              string_claim(cl, "sid", c->sid, sizeof c->sid) && int_claim(cl, "ctl", &ctl) &&
              int_claim(cl, "iat", &c->iat) && int_claim(cl, "nbf", &c->nbf) &&
              int_claim(cl, "exp", &c->exp);
    bool partner = ok && strcmp(c->role, "partner") == 0;
    /* A partner belongs to no controller (ctl 0); staff always to one. */
    if (!ok || !amr_ok(cl, partner) || strcmp(iss, k->issuer) != 0 ||
        strcmp(aud, k->audience) != 0 || !validate_uuid(c->sub) || !validate_uuid(c->sid) ||
        (partner ? ctl != 0 : (ctl < 1 || ctl > 32767)))
        return TOKEN_BAD_CLAIMS;
    bool role_ok = false;
    for (const char *const *r = roles; *r; r++)
        role_ok |= strcmp(*r, c->role) == 0;
    /* exp > iat, so the unsigned difference is the true one (the signed one can overflow). */
    if (!role_ok || c->exp <= c->iat || (unsigned long)c->exp - (unsigned long)c->iat > 24 * 3600)
        return TOKEN_BAD_CLAIMS;
    c->ctl = (int)ctl;
    if (c->exp <= now - TOKEN_CLOCK_SKEW)
        return TOKEN_EXPIRED;
    if (c->nbf > now + TOKEN_CLOCK_SKEW || c->iat > now + TOKEN_CLOCK_SKEW)
        return TOKEN_NOT_YET;
    return TOKEN_OK;
}

enum token_result token_verify(const struct token_keys *k, const char *token, time_t now,
                               struct token_claims *c)
{
    jwt_t *jwt = NULL;
    json_t *claims = NULL;
    char *grants = NULL;
    enum token_result res = TOKEN_MALFORMED;
    memset(c, 0, sizeof *c);
    if (token == NULL || strlen(token) > TOKEN_MAX_LENGTH || k->pub == NULL)
        return TOKEN_MALFORMED;
    /* Never decode without a key: with one, a bad signature fails here. */
    if (jwt_decode(&jwt, token, k->pub, k->pub_len) != 0)
        goto done;
    const char *typ = jwt_get_header(jwt, "typ");
    if (jwt_get_alg(jwt) != JWT_ALG_ES256 || typ == NULL || strcmp(typ, "JWT") != 0)
        goto done;
    grants = jwt_get_grants_json(jwt, NULL);
    claims = grants ? json_loads(grants, JSON_REJECT_DUPLICATES, NULL) : NULL;
    res = json_is_object(claims) ? check_claims(k, claims, now, c) : TOKEN_BAD_CLAIMS;
done:
    json_decref(claims);
    free(grants);
    jwt_free(jwt);
    return res;
}
