package dev.zipcache.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.notNullValue;
import static org.hamcrest.Matchers.startsWith;

/** The endpoints on the real stories260K model, as OpenAI's clients see them. */
@QuarkusTest
class CompletionsTest {

    static final String MODEL = "stories260K-f32";

    static String chatBody(String extra) {
        return "{\"model\":\"" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story about a"
                + " cat.\"}]" + extra + "}";
    }

    @Test
    void answersAChatInOpenAisShapeWithKvCacheUsage() {
        given().contentType(ContentType.JSON).body(chatBody(",\"max_tokens\":24,\"temperature\":0"))
                .when().post("/v1/chat/completions")
                .then().statusCode(200).contentType(ContentType.JSON)
                .body("id", startsWith("chatcmpl-"))
                .body("object", equalTo("chat.completion"))
                .body("created", greaterThan(0))
                .body("model", equalTo(MODEL))
                .body("choices.size()", equalTo(1))
                .body("choices[0].index", equalTo(0))
                .body("choices[0].message.role", equalTo("assistant"))
                .body("choices[0].message.content.length()", greaterThan(0))
                .body("choices[0].finish_reason", equalTo("length"))
                .body("usage.completion_tokens", equalTo(24))
                .body("usage.prompt_tokens", greaterThan(5))
                .body("usage.total_tokens", greaterThan(24))
                .body("usage.prompt_tokens_details.cached_tokens", notNullValue())
                .body("usage.kv_cache.spec", equalTo("zipcache"))
                .body("usage.kv_cache.bytes", greaterThan(0))
                .body("usage.kv_cache.fp16_bytes", greaterThan(0))
                .body("usage.kv_cache.compression_ratio", greaterThan(1.5f));
    }

    @Test
    void followsTheRequestedKvCache() {
        given().contentType(ContentType.JSON)
                .body(chatBody(",\"max_tokens\":8,\"temperature\":0,\"kv_cache\":\"kivi:bits=2\""))
                .when().post("/v1/chat/completions")
                .then().statusCode(200).body("usage.kv_cache.spec", equalTo("kivi:bits=2"));
        given().contentType(ContentType.JSON).body(chatBody(",\"max_tokens\":8,\"kv_cache\":\"fp16\""))
                .when().post("/v1/chat/completions")
                .then().statusCode(200).body("usage.kv_cache.spec", equalTo("fp16"))
                .body("usage.kv_cache.compression_ratio", equalTo(1.0f));
    }

    @Test
    void streamsChatChunksEndingWithDone() {
        String body = given().contentType(ContentType.JSON)
                .body(chatBody(",\"max_tokens\":20,\"temperature\":0,\"stream\":true"))
                .when().post("/v1/chat/completions")
                .then().statusCode(200).contentType(containsString("text/event-stream"))
                .extract().asString();
        List<JsonNode> chunks = Sse.chunks(body);
        assertThat(chunks).hasSizeGreaterThan(3);
        String id = chunks.getFirst().path("id").asText();
        assertThat(id).startsWith("chatcmpl-");
        for (JsonNode chunk : chunks) {
            assertThat(chunk.path("object").asText()).isEqualTo("chat.completion.chunk");
            assertThat(chunk.path("id").asText()).isEqualTo(id);
            assertThat(chunk.path("model").asText()).isEqualTo(MODEL);
            assertThat(chunk.path("choices")).hasSize(1);
        }
        JsonNode first = chunks.getFirst().path("choices").get(0);
        assertThat(first.path("delta").path("role").asText()).isEqualTo("assistant");
        assertThat(first.path("delta").path("content").asText()).isEmpty();
        assertThat(first.path("finish_reason").isNull()).isTrue();
        for (JsonNode middle : chunks.subList(1, chunks.size() - 1)) {
            JsonNode choice = middle.path("choices").get(0);
            assertThat(choice.path("delta").has("role")).isFalse();
            assertThat(choice.path("delta").path("content").asText()).isNotEmpty();
            assertThat(choice.path("finish_reason").isNull()).isTrue();
        }
        JsonNode last = chunks.getLast().path("choices").get(0);
        assertThat(last.path("delta").size()).isZero();
        assertThat(last.path("finish_reason").asText()).isEqualTo("length");
        assertThat(chunks).allSatisfy(chunk -> assertThat(chunk.path("usage").isNull()).isTrue());

        String whole = given().contentType(ContentType.JSON).body(chatBody(",\"max_tokens\":20,\"temperature\":0"))
                .when().post("/v1/chat/completions").then().statusCode(200)
                .extract().path("choices[0].message.content");
        assertThat(Sse.text(chunks)).isEqualTo(whole);
    }

    @Test
    void endsAStreamWithAUsageChunkWhenAsked() {
        String body = given().contentType(ContentType.JSON)
                .body(chatBody(",\"max_completion_tokens\":12,\"stream\":true,\"seed\":3,"
                        + "\"stream_options\":{\"include_usage\":true}"))
                .when().post("/v1/chat/completions")
                .then().statusCode(200).extract().asString();
        List<JsonNode> chunks = Sse.chunks(body);
        JsonNode usageChunk = chunks.getLast();
        assertThat(usageChunk.path("choices")).isEmpty();
        assertThat(usageChunk.path("usage").path("completion_tokens").asInt()).isEqualTo(12);
        assertThat(usageChunk.path("usage").path("kv_cache").path("spec").asText()).isEqualTo("zipcache");
        assertThat(chunks.get(chunks.size() - 2).path("choices").get(0).path("finish_reason").asText())
                .isEqualTo("length");
        assertThat(chunks.subList(0, chunks.size() - 1))
                .allSatisfy(chunk -> assertThat(chunk.path("usage").isNull()).isTrue());
    }

    @Test
    void completesAPromptAndStreamsIt() {
        String prompt = "{\"model\":\"" + MODEL + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":16,"
                + "\"temperature\":0";
        String text = given().contentType(ContentType.JSON).body(prompt + "}")
                .when().post("/v1/completions")
                .then().statusCode(200)
                .body("id", startsWith("cmpl-"))
                .body("object", equalTo("text_completion"))
                .body("choices[0].index", equalTo(0))
                .body("choices[0].finish_reason", equalTo("length"))
                .body("usage.completion_tokens", equalTo(16))
                .body("usage.kv_cache.spec", equalTo("zipcache"))
                .extract().path("choices[0].text");
        assertThat(text).isNotBlank();

        String body = given().contentType(ContentType.JSON)
                .body(prompt + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}")
                .when().post("/v1/completions")
                .then().statusCode(200).contentType(containsString("text/event-stream")).extract().asString();
        List<JsonNode> chunks = Sse.chunks(body);
        assertThat(chunks).allSatisfy(chunk -> assertThat(chunk.path("object").asText())
                .isEqualTo("text_completion"));
        assertThat(Sse.text(chunks)).isEqualTo(text);
        assertThat(chunks.get(chunks.size() - 2).path("choices").get(0).path("finish_reason").asText())
                .isEqualTo("length");
        assertThat(chunks.getLast().path("usage").path("completion_tokens").asInt()).isEqualTo(16);
    }

    @Test
    void stopsAtAStopSequence() {
        String text = given().contentType(ContentType.JSON)
                .body("{\"prompt\":\"Once upon a time\",\"max_tokens\":100,\"temperature\":0}")
                .when().post("/v1/completions").then().statusCode(200).extract().path("choices[0].text");
        String stop = text.substring(10, 13);
        given().contentType(ContentType.JSON)
                .body("{\"prompt\":\"Once upon a time\",\"max_tokens\":100,\"temperature\":0,\"stop\":\"" + stop
                        + "\"}")
                .when().post("/v1/completions").then().statusCode(200)
                .body("choices[0].text", equalTo(text.substring(0, text.indexOf(stop))))
                .body("choices[0].finish_reason", equalTo("stop"));
    }

    @Test
    void aSeedRepeatsASampledAnswer() {
        Warmup.once();
        String request = chatBody(",\"max_tokens\":40,\"temperature\":1.0,\"top_p\":0.95,\"seed\":%d");
        String first = answer(request.formatted(42));
        assertThat(answer(request.formatted(42))).isEqualTo(first);
        assertThat(answer(request.formatted(42))).isEqualTo(first);
        assertThat(answer(request.formatted(7))).isNotEqualTo(first);
    }

    static String answer(String body) {
        return given().contentType(ContentType.JSON).body(body).when().post("/v1/chat/completions")
                .then().statusCode(200).extract().path("choices[0].message.content");
    }

    @Test
    void listsTheServedModel() {
        given().when().get("/v1/models").then().statusCode(200)
                .body("object", equalTo("list"))
                .body("data[0].id", equalTo(MODEL))
                .body("data[0].object", equalTo("model"))
                .body("data[0].owned_by", equalTo("zipcache"));
        given().when().get("/v1/models/" + MODEL).then().statusCode(200).body("id", equalTo(MODEL));
        given().when().get("/v1/models/gpt-4").then().statusCode(404)
                .body("error.code", equalTo("model_not_found"))
                .body("error.type", equalTo("invalid_request_error"));
    }

    @Test
    void reportsHealthMetricsAndOpenApi() {
        given().when().get("/q/health/ready").then().statusCode(200)
                .body("status", equalTo("UP"))
                .body("checks[0].name", equalTo("model"))
                .body("checks[0].data.id", equalTo(MODEL));
        given().contentType(ContentType.JSON).body(chatBody(",\"max_tokens\":4")).post("/v1/chat/completions")
                .then().statusCode(200);
        given().when().get("/q/metrics").then().statusCode(200)
                .body(containsString("zipcache_requests_total{endpoint=\"chat\""))
                .body(containsString("zipcache_completion_tokens_total"))
                .body(containsString("zipcache_prompt_tokens_total"))
                .body(containsString("zipcache_decode_tokens_per_second"))
                .body(containsString("zipcache_time_to_first_token_seconds"))
                .body(containsString("zipcache_sessions_active"))
                .body(containsString("zipcache_kv_cache_bytes"))
                .body(containsString("zipcache_kv_cache_compression_ratio"));
        given().when().get("/q/openapi").then().statusCode(200)
                .body(containsString("/v1/chat/completions"))
                .body(containsString("/v1/completions"))
                .body(containsString("kv_cache"));
        given().when().get("/q/swagger-ui/").then().statusCode(200);
    }
}
