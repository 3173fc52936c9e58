package dev.zipcache.server;

import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import org.junit.jupiter.api.Test;

import static dev.zipcache.server.CompletionsTest.chatBody;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

/** Every refusal is OpenAI's error object with the right status, and never a stack trace. */
@QuarkusTest
class ErrorsTest {

    static ValidatableResponse post(String path, String body, int status) {
        return given().contentType(ContentType.JSON).body(body).when().post(path)
                .then().statusCode(status).contentType(ContentType.JSON)
                .body("error.message", not(nullValue()))
                .body("error.type", not(nullValue()))
                .body(not(containsString("\tat ")))
                .body(not(containsString("Exception")));
    }

    static ValidatableResponse chat(String extra, int status) {
        return post("/v1/chat/completions", chatBody(extra), status);
    }

    @Test
    void malformedJsonIs400() {
        post("/v1/chat/completions", "{\"messages\": [", 400).body("error.code", equalTo("invalid_json"))
                .body("error.type", equalTo("invalid_request_error"));
        post("/v1/completions", "not json", 400).body("error.code", equalTo("invalid_json"));
        post("/v1/chat/completions", "", 400).body("error.code", equalTo("missing_body"));
    }

    @Test
    void wrongTypesAndUnknownFieldsAre400() {
        chat(",\"temperature\":\"hot\"", 400).body("error.param", equalTo("temperature"));
        chat(",\"max_tokens\":[1]", 400).body("error.param", equalTo("max_tokens"));
        chat(",\"temprature\":0.5", 400).body("error.param", equalTo("temprature"))
                .body("error.code", equalTo("unknown_parameter"))
                .body("error.message", containsString("temprature"));
        post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":{\"a\":1}}]}", 400)
                .body("error.param", equalTo("messages[0].content"));
    }

    @Test
    void badValuesAre400WithTheirParameter() {
        chat(",\"temperature\":2.5", 400).body("error.param", equalTo("temperature"));
        chat(",\"temperature\":-1", 400).body("error.param", equalTo("temperature"));
        chat(",\"top_p\":0", 400).body("error.param", equalTo("top_p"));
        chat(",\"max_tokens\":0", 400).body("error.param", equalTo("max_tokens"));
        chat(",\"max_completion_tokens\":-3", 400).body("error.param", equalTo("max_completion_tokens"));
        chat(",\"top_k\":-1", 400).body("error.param", equalTo("top_k"));
        chat(",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]", 400).body("error.param", equalTo("stop"));
        chat(",\"stop\":\"\"", 400).body("error.param", equalTo("stop"));
        chat(",\"presence_penalty\":0.5", 400).body("error.param", equalTo("presence_penalty"));
        chat(",\"logprobs\":true", 400).body("error.param", equalTo("logprobs"));
        chat(",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]", 400)
                .body("error.param", equalTo("tools"));
        chat(",\"response_format\":{\"type\":\"json_object\"}", 400).body("error.param", equalTo("response_format"));
        chat(",\"stream_options\":{\"include_usage\":true}", 400).body("error.param", equalTo("stream_options"));
        post("/v1/chat/completions", "{\"messages\":[]}", 400).body("error.param", equalTo("messages"));
        post("/v1/chat/completions", "{\"messages\":[{\"role\":\"robot\",\"content\":\"hi\"}]}", 400)
                .body("error.param", equalTo("messages[0].role"));
        post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
                + "\"image_url\":{\"url\":\"x\"}}]}]}", 400).body("error.param", equalTo("messages[0].content"));
        post("/v1/completions", "{\"prompt\":[\"a\",\"b\"]}", 400).body("error.param", equalTo("prompt"));
        post("/v1/completions", "{\"prompt\":\"a\",\"echo\":true}", 400).body("error.param", equalTo("echo"));
    }

    @Test
    void moreThanOneChoiceIs400() {
        chat(",\"n\":2", 400).body("error.param", equalTo("n"));
        post("/v1/completions", "{\"prompt\":\"Once\",\"n\":3}", 400).body("error.param", equalTo("n"));
    }

    @Test
    void anUnknownKvCacheIs400ListingTheCaches() {
        chat(",\"kv_cache\":\"zipcash\"", 400).body("error.param", equalTo("kv_cache"))
                .body("error.code", equalTo("invalid_kv_cache"))
                .body("error.message", containsString("zipcache"))
                .body("error.message", containsString("fp16"));
        chat(",\"kv_cache\":\"kivi:bitz=2\"", 400).body("error.param", equalTo("kv_cache"))
                .body("error.message", containsString("bits"));
        chat(",\"kv_cache\":\"kivi:bits=banana\"", 400).body("error.param", equalTo("kv_cache"));
    }

    @Test
    void aPromptBeyondTheContextIs400() {
        String longText = "the cat sat on the mat. ".repeat(120);
        post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"" + longText + "\"}]}", 400)
                .body("error.code", equalTo("context_length_exceeded"))
                .body("error.param", equalTo("messages"))
                .body("error.message", containsString("512"));
        post("/v1/completions", "{\"prompt\":\"" + longText + "\",\"stream\":true}", 400)
                .body("error.code", equalTo("context_length_exceeded"));
    }

    @Test
    void anUnknownModelIs404() {
        post("/v1/chat/completions", "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                404).body("error.code", equalTo("model_not_found")).body("error.param", equalTo("model"));
        post("/v1/completions", "{\"model\":\"gpt-4o\",\"prompt\":\"hi\"}", 404)
                .body("error.code", equalTo("model_not_found"));
    }

    @Test
    void unknownRoutesAndMethodsAnswerInTheSameShape() {
        given().when().get("/v1/nothing").then().statusCode(404).contentType(ContentType.JSON)
                .body("error.type", equalTo("invalid_request_error"));
        given().when().get("/v1/chat/completions").then().statusCode(405).contentType(ContentType.JSON)
                .body("error.message", not(nullValue()));
        given().contentType(ContentType.TEXT).body("hi").when().post("/v1/chat/completions").then().statusCode(415)
                .contentType(ContentType.JSON).body("error.code", equalTo("unsupported_media_type"));
    }
}
