package dev.zipcache.server;

import dev.zipcache.engine.generate.SessionPool;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

/** An API key and a service with one session and no queue. */
@QuarkusTest
@TestProfile(LimitsTest.KeyAndOneSession.class)
class LimitsTest {

    public static class KeyAndOneSession implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("zipcache.api-key", "sk-test", "zipcache.max-concurrent", "1", "zipcache.max-queue", "0",
                    "zipcache.retry-after-seconds", "2");
        }
    }

    private static final String BODY = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":4}";

    @Inject
    ServedModel served;

    @Test
    void withAnApiKeyOnlyRequestsThatSendItAreServed() {
        given().contentType(ContentType.JSON).body(BODY).when().post("/v1/chat/completions")
                .then().statusCode(401).contentType(ContentType.JSON)
                .header("WWW-Authenticate", "Bearer")
                .body("error.code", equalTo("invalid_api_key"));
        given().auth().oauth2("sk-wrong").when().get("/v1/models")
                .then().statusCode(401).body("error.code", equalTo("invalid_api_key"))
                .body(not(containsString("sk-test")));
        given().auth().oauth2("sk-test").contentType(ContentType.JSON).body(BODY).when().post("/v1/chat/completions")
                .then().statusCode(200);
        given().when().get("/q/health/ready").then().statusCode(200);
    }

    @Test
    void aFullQueueIs429WithRetryAfter() throws Exception {
        // The one session is lent to this test, and the queue takes no one: the next request is refused.
        SessionPool.Lease busy = served.pool().acquire(null, new int[] {1}, 0);
        try {
            assertThat(served.pool().active()).isEqualTo(1);
            given().auth().oauth2("sk-test").contentType(ContentType.JSON).body(BODY)
                    .when().post("/v1/chat/completions")
                    .then().statusCode(429).header("Retry-After", "2").contentType(ContentType.JSON)
                    .body("error.type", equalTo("rate_limit_error"))
                    .body("error.code", equalTo("queue_full"))
                    .body("error.message", containsString("Retry after 2 s"));
        } finally {
            busy.close();
        }
        given().auth().oauth2("sk-test").contentType(ContentType.JSON).body(BODY).when().post("/v1/chat/completions")
                .then().statusCode(200);
    }
}
