package dev.zipcache.server;

import io.restassured.http.ContentType;

import static io.restassured.RestAssured.given;

/**
 * Runs generations before a test compares sampled answers. In a fresh JVM, the first few hundred tokens through the
 * zipcache cache were seen to pick other tokens than the same request later, with fp16 unaffected. Our reading: the
 * Vector API's lane reductions round differently before and after C2 compiles them, and zipcache's discrete choices
 * (which tokens are salient) amplify the difference. Comparisons therefore start from a warm JVM: the warm-up runs
 * until one request gives the same answer four times in a row.
 */
final class Warmup {

    private static boolean done;

    private Warmup() {
    }

    static synchronized void once() {
        if (done) {
            return;
        }
        String previous = null;
        int same = 0;
        for (int i = 0; i < 40 && same < 3; i++) {
            String answer = given().contentType(ContentType.JSON)
                    .body("{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story about a cat.\"}],"
                            + "\"max_tokens\":64,\"temperature\":0.8,\"seed\":100}")
                    .when().post("/v1/chat/completions").then().statusCode(200)
                    .extract().path("choices[0].message.content");
            same = answer.equals(previous) ? same + 1 : 0;
            previous = answer;
        }
        done = true;
    }
}
