package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.events.TurnRequested;
import dev.skein.ingress.auth.Caller;
import dev.skein.ingress.auth.Role;
import dev.skein.schemas.SessionAddress;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Whose memories a turn reaches: a token's subject, or the user a tenant-wide credential names. */
class TurnUserTest {

    private static final SessionAddress ADDRESS = new SessionAddress("acme", "s1");

    private static TurnRequested parse(String body) {
        return TurnRequestBody.parse(body, ADDRESS, 10_000, 1L);
    }

    private static Caller token(String subject) {
        return new Caller(subject, "acme", Set.of(Role.USER), Caller.Credential.JWT, Long.MAX_VALUE);
    }

    @Test
    void aTokensSubjectIsTheUser() {
        TurnRequested turn = TurnRequestBody.bindUser(parse("{\"message\":\"hi\"}"), token("alice"));
        assertThat(turn.getUserId()).isEqualTo("alice");
        assertThat(TurnRequestBody.bindUser(parse("{\"message\":\"hi\",\"user\":\"alice\"}"), token("alice"))
                        .getUserId())
                .isEqualTo("alice");
    }

    @Test
    void aTokenMayNotNameAnotherUser() {
        assertThatThrownBy(
                        () -> TurnRequestBody.bindUser(parse("{\"message\":\"hi\",\"user\":\"bob\"}"), token("alice")))
                .isInstanceOfSatisfying(
                        HttpFailure.class, e -> assertThat(e.status()).isEqualTo(403));
    }

    @Test
    void aTenantWideCredentialNamesTheUserOrNone() {
        Caller key = new Caller("key1", "acme", Set.of(Role.USER), Caller.Credential.API_KEY, Long.MAX_VALUE);
        assertThat(TurnRequestBody.bindUser(parse("{\"message\":\"hi\",\"user\":\"bob\"}"), key)
                        .getUserId())
                .isEqualTo("bob");
        assertThat(TurnRequestBody.bindUser(parse("{\"message\":\"hi\"}"), Caller.anonymous("acme"))
                        .getUserId())
                .isNull();
    }

    @Test
    void aMalformedUserIsRefused() {
        assertThatThrownBy(() -> parse("{\"message\":\"hi\",\"user\":\"a/b\"}"))
                .isInstanceOfSatisfying(
                        HttpFailure.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void aTokenWhoseSubjectCannotBeAUserIsRefused() {
        // '*' would be the tenant's shared memory; '/' would split the memories topic's key.
        for (String subject : new String[] {"*", "a/b", "", "x".repeat(257)}) {
            assertThatThrownBy(() -> TurnRequestBody.bindUser(parse("{\"message\":\"hi\"}"), token(subject)))
                    .as(subject)
                    .isInstanceOfSatisfying(
                            HttpFailure.class, e -> assertThat(e.status()).isEqualTo(403));
        }
        // What identity providers hand out passes: emails, Auth0's provider|id.
        assertThat(TurnRequestBody.bindUser(parse("{\"message\":\"hi\"}"), token("auth0|5f7c8ec7"))
                        .getUserId())
                .isEqualTo("auth0|5f7c8ec7");
    }
}
