package dev.zipcache.server;

import io.restassured.http.ContentType;

import static io.restassured.RestAssured.given;

/**
 * Runs a few generations before a test compares sampled answers: in a fresh JVM the first generations through the
 * zipcache cache were seen to pick other tokens than the same request later (fp16 does not show it), so comparisons
 * start from a warm JVM.
 */
final class Warmup {

    private static boolean done;

    private Warmup() {
    }

    static synchronized void once() {
        if (done) {
            return;
        }
        for (int i = 0; i < 3; i++) {
            given().contentType(ContentType.JSON)
                    .body("{\"messages\":[{\"role\":\"user\",\"content\":\"Warm up " + i + ".\"}],\"max_tokens\":64,"
                            + "\"temperature\":0.8,\"seed\":" + i + "}")
                    .when().post("/v1/chat/completions").then().statusCode(200);
        }
        done = true;
    }
}
