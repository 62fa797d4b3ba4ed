package dev.skein.ingress.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of credential, good and bad, through the one {@link Authenticator} the ingress uses. */
class AuthenticatorTest {

    @TempDir
    static Path dir;

    private static Vertx vertx;
    private static TestTokens tokens;
    private static Authenticator authenticator;
    private static final Map<String, StoredKey> keys = new ConcurrentHashMap<>();
    private static final String ACME_KEY = ApiKeys.generate();
    private static final String OPERATOR_KEY = ApiKeys.generate();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        tokens = new TestTokens(vertx);
        JwtSettings settings = TestTokens.settings(tokens.writeJwks(dir.resolve("jwks.json")));
        keys.put(ApiKeys.idOf(ACME_KEY), stored(ACME_KEY, "acme", Role.USER));
        keys.put(ApiKeys.idOf(OPERATOR_KEY), stored(OPERATOR_KEY, null, Role.OPERATOR));
        authenticator = new Authenticator(
                new AuthConfig(true, false, List.of(), true, settings),
                id -> Optional.ofNullable(keys.get(id)),
                new JwtVerifier(vertx, settings),
                "default");
    }

    @AfterAll
    static void stop() {
        vertx.close();
    }

    static StoredKey stored(String key, String tenant, Role... roles) {
        return new StoredKey(ApiKeys.idOf(key), ApiKeys.sha256(key), tenant, Set.of(roles), null);
    }

    @Test
    void anApiKeyActsForItsTenantWithItsRoles() {
        Caller caller = accepted("Bearer " + ACME_KEY);
        assertThat(caller.tenant()).isEqualTo("acme");
        assertThat(caller.roles()).containsExactly(Role.USER);
        assertThat(caller.subject()).isEqualTo(ApiKeys.idOf(ACME_KEY));
        assertThat(caller.credential()).isEqualTo(Caller.Credential.API_KEY);
    }

    @Test
    void anOperatorKeyWithoutTenantActsForTheDefaultTenant() {
        Caller caller = accepted("Bearer " + OPERATOR_KEY);
        assertThat(caller.tenant()).isEqualTo("default");
        assertThat(caller.isOperator()).isTrue();
    }

    @Test
    void anApiKeyIsAlsoTheBasicPasswordThatSchemaRegistryClientsSend() {
        String basic = Base64.getEncoder().encodeToString(("anyone:" + ACME_KEY).getBytes(StandardCharsets.UTF_8));
        assertThat(accepted("Basic " + basic).tenant()).isEqualTo("acme");
    }

    @Test
    void aKeyWithTheRightIdAndAWrongSecretIsRefusedLikeAnUnknownOne() {
        String forged = ACME_KEY.substring(0, ACME_KEY.length() - 4) + "0000";
        String unknown = ApiKeys.generate();
        assertThat(refused("Bearer " + forged).getMessage()).isEqualTo("unknown or revoked API key");
        assertThat(refused("Bearer " + unknown).getMessage()).isEqualTo("unknown or revoked API key");
        assertThat(refused("Bearer skein_short_key").getMessage()).contains("malformed API key");
    }

    @Test
    void noCredentialIsAMissingOneAndItsChallengeHasNoErrorCode() {
        AuthFailure missing = refused(List.of(), null);
        assertThat(missing.getMessage()).contains("requires a credential");
        assertThat(missing.challenge()).isEqualTo("Bearer realm=\"skein\"");
        assertThat(refused("Bearer " + ApiKeys.generate()).challenge()).contains("error=\"invalid_token\"");
        assertThat(refused("Digest abc").getMessage()).contains("unsupported Authorization scheme");
        assertThat(refused(List.of("Bearer " + ACME_KEY, "Bearer " + ACME_KEY), null)
                        .getMessage())
                .contains("exactly one credential");
    }

    @Test
    void theQueryTokenCountsOnlyWhereAllowed() {
        assertThat(await(authenticator.authenticate(List.of(), List.of(ACME_KEY)))
                        .tenant())
                .isEqualTo("acme");
        assertThat(refused(List.of("Bearer " + ACME_KEY), List.of(ACME_KEY)).getMessage())
                .contains("exactly one");
    }

    @Test
    void aRevokedKeyIsNoLongerValidForAStreamItOpened() {
        String key = ApiKeys.generate();
        keys.put(ApiKeys.idOf(key), stored(key, "acme", Role.READER));
        Caller caller = accepted("Bearer " + key);
        assertThat(authenticator.stillValid(caller, System.currentTimeMillis())).isTrue();
        keys.remove(ApiKeys.idOf(key));
        assertThat(authenticator.stillValid(caller, System.currentTimeMillis())).isFalse();
        assertThat(refused("Bearer " + key).getMessage()).isEqualTo("unknown or revoked API key");
    }

    @Test
    void hs256Rs256AndEs256TokensPass() {
        for (String token : List.of(
                tokens.hs256(TestTokens.claims("acme", "user")),
                tokens.rs256(TestTokens.claims("acme", "user")),
                tokens.es256(TestTokens.claims("acme", "user")))) {
            Caller caller = accepted("Bearer " + token);
            assertThat(caller.tenant()).isEqualTo("acme");
            assertThat(caller.roles()).containsExactly(Role.USER);
            assertThat(caller.subject()).isEqualTo("someone@acme");
            assertThat(caller.credential()).isEqualTo(Caller.Credential.JWT);
        }
    }

    @Test
    void rolesComeFromAListOrASpaceSeparatedStringAndDefaultToUser() {
        assertThat(accepted("Bearer " + tokens.es256(TestTokens.claims("acme"))).roles())
                .containsExactly(Role.USER);
        JsonObject spaced = TestTokens.claims("acme").put("roles", "reader other-apps-role");
        assertThat(accepted("Bearer " + tokens.rs256(spaced)).roles()).containsExactly(Role.READER);
        JsonObject foreign = TestTokens.claims("acme").put("roles", "admin");
        assertThat(refused("Bearer " + tokens.rs256(foreign)).getMessage()).contains("none of the roles");
    }

    @Test
    void aTokenWithoutTenantPassesOnlyForAnOperator() {
        assertThat(accepted("Bearer " + tokens.rs256(TestTokens.claims(null, "operator")))
                        .tenant())
                .isEqualTo("default");
        assertThat(refused("Bearer " + tokens.rs256(TestTokens.claims(null, "user")))
                        .getMessage())
                .contains("no 'tenant' claim");
        JsonObject badTenant = TestTokens.claims("acme").put("tenant", "../other");
        assertThat(refused("Bearer " + tokens.rs256(badTenant)).getMessage()).contains("is not a tenant");
    }

    @Test
    void expiredWrongAudienceWrongIssuerAndUnexpiringTokensAreRefused() {
        JsonObject expired = TestTokens.claims("acme").put("exp", System.currentTimeMillis() / 1000 - 60);
        assertThat(refused("Bearer " + tokens.rs256(expired)).getMessage()).isEqualTo("token expired");
        JsonObject audience = TestTokens.claims("acme").put("aud", "another-service");
        assertThat(refused("Bearer " + tokens.es256(audience)).getMessage())
                .isEqualTo("token is not for this audience");
        JsonObject issuer = TestTokens.claims("acme").put("iss", "https://evil.example.test");
        assertThat(refused("Bearer " + tokens.hs256(issuer)).getMessage()).isEqualTo("token is from another issuer");
        JsonObject forever = TestTokens.claims("acme");
        forever.remove("exp");
        assertThat(refused("Bearer " + tokens.hs256(forever)).getMessage()).contains("no exp claim");
    }

    @Test
    void badSignaturesAndUnsignedTokensAreRefused() {
        assertThat(refused("Bearer " + tokens.rs256ByStranger(TestTokens.claims("acme")))
                        .getMessage())
                .isEqualTo("token signature does not verify");
        String tampered = TestTokens.tampered(
                tokens.es256(TestTokens.claims("acme", "user")), TestTokens.claims("acme", "operator"));
        assertThat(refused("Bearer " + tampered).getMessage()).isEqualTo("token signature does not verify");
        assertThat(refused("Bearer " + TestTokens.unsigned(TestTokens.claims("acme", "operator"), true))
                        .getMessage())
                .isEqualTo("unsigned tokens (alg none) are not accepted");
        assertThat(refused("Bearer " + TestTokens.unsigned(TestTokens.claims("acme", "operator"), false))
                        .getMessage())
                .isEqualTo("unsigned tokens (alg none) are not accepted");
        // alg none with a signature of some other token: still refused, whatever the signature
        String signed = tokens.hs256(TestTokens.claims("acme", "user"));
        String noneSigned = TestTokens.unsigned(TestTokens.claims("acme", "operator"), true) + signed.split("\\.")[2];
        assertThat(refused("Bearer " + noneSigned).getMessage())
                .isEqualTo("unsigned tokens (alg none) are not accepted");
        // an HS256 token signed with an RSA public key as the secret (the classic algorithm confusion)
        assertThat(refused("Bearer " + tokens.hs256WithPublicRsaKey(TestTokens.claims("acme", "operator")))
                        .getMessage())
                .isEqualTo("token signature does not verify");
        assertThat(refused("Bearer not-a-token").getMessage()).contains("neither an API key");
        assertThat(refused("Bearer a.b.c").getMessage()).startsWith("invalid token");
    }

    @Test
    void aTokenStreamIsValidUntilItsExpiry() {
        long exp = System.currentTimeMillis() / 1000 + 2;
        Caller caller =
                accepted("Bearer " + tokens.rs256(TestTokens.claims("acme").put("exp", exp)));
        assertThat(authenticator.stillValid(caller, exp * 1000 - 1)).isTrue();
        assertThat(authenticator.stillValid(caller, exp * 1000)).isFalse();
    }

    @Test
    void settingsRefuseWhatWouldLetAnyTokenThrough() {
        assertThatThrownBy(() -> new JwtSettings(
                        "",
                        List.of("a"),
                        TestTokens.SECRET,
                        null,
                        null,
                        Duration.ofMinutes(1),
                        "t",
                        "r",
                        Duration.ZERO))
                .hasMessageContaining("issuer");
        assertThatThrownBy(() -> new JwtSettings(
                        "i", List.of(), TestTokens.SECRET, null, null, Duration.ofMinutes(1), "t", "r", Duration.ZERO))
                .hasMessageContaining("audiences");
        assertThatThrownBy(() -> new JwtSettings(
                        "i", List.of("a"), "short", null, null, Duration.ofMinutes(1), "t", "r", Duration.ZERO))
                .hasMessageContaining("at least 32 bytes");
        assertThatThrownBy(() -> new JwtSettings(
                        "i", List.of("a"), null, null, null, Duration.ofMinutes(1), "t", "r", Duration.ZERO))
                .hasMessageContaining("needs keys");
        assertThat(new JwtSettings(
                                "i",
                                List.of("a"),
                                TestTokens.SECRET,
                                null,
                                null,
                                Duration.ofMinutes(1),
                                "t",
                                "r",
                                Duration.ZERO)
                        .toString())
                .doesNotContain(TestTokens.SECRET);
        assertThatThrownBy(() -> new AuthConfig(true, false, List.of(), false, null))
                .hasMessageContaining("no credential could ever pass");
    }

    @Test
    void storedKeysAreCheckedAndHashesCompareByValue() {
        String key = ApiKeys.generate();
        assertThat(ApiKeys.isKey(key)).isTrue();
        assertThat(ApiKeys.matches(key, ApiKeys.sha256(key))).isTrue();
        assertThat(ApiKeys.matches(key, ApiKeys.sha256(ApiKeys.generate()))).isFalse();
        assertThat(ApiKeys.matches(key, "not hex")).isFalse();
        assertThat(ApiKeys.generate()).isNotEqualTo(ApiKeys.generate());
        assertThatThrownBy(() -> new StoredKey(ApiKeys.idOf(key), ApiKeys.sha256(key), null, Set.of(Role.USER), null))
                .hasMessageContaining("only an operator key may have none");
        assertThatThrownBy(() -> new StoredKey(ApiKeys.idOf(key), "abc", "acme", Set.of(Role.USER), null))
                .hasMessageContaining("64 lower-case hex");
        assertThatThrownBy(() -> Role.parse("admin")).hasMessageContaining("operator, user, reader");
    }

    private static Caller accepted(String header) {
        return await(authenticator.authenticate(List.of(header), null));
    }

    private static AuthFailure refused(String header) {
        return refused(List.of(header), null);
    }

    private static AuthFailure refused(List<String> headers, List<String> queryTokens) {
        Future<Caller> result = authenticator.authenticate(headers, queryTokens);
        try {
            result.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            // checked below
        }
        assertThat(result.failed()).as("refused").isTrue();
        assertThat(result.cause()).isInstanceOf(AuthFailure.class);
        return (AuthFailure) result.cause();
    }

    private static Caller await(Future<Caller> future) {
        try {
            return future.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("not accepted: " + e.getMessage(), e);
        }
    }
}
