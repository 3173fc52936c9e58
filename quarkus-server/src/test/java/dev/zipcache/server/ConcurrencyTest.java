package dev.zipcache.server;

import com.fasterxml.jackson.databind.JsonNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Many clients at once, and clients that leave mid-answer. */
@QuarkusTest
class ConcurrencyTest {

    private static final String[] SUBJECTS = {"a cat", "a dog", "the sun", "a little girl", "a big tree", "a boat",
            "the moon", "a red ball"};

    @TestHTTPResource("/v1/chat/completions")
    URI chatCompletions;

    @Inject
    ServedModel served;

    @Inject
    MeterRegistry registry;

    private static String request(int i) {
        return "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a story about " + SUBJECTS[i] + ".\"}],"
                + "\"max_tokens\":48,\"temperature\":0.8,\"seed\":" + (100 + i) + ",\"stream\":true}";
    }

    private CompletableFuture<String> stream(HttpClient client, String body) {
        HttpRequest request = HttpRequest.newBuilder(chatCompletions).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return client.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(response -> {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            return Sse.text(Sse.chunks(response.body()));
        });
    }

    @Test
    void eightConcurrentStreamsGiveTheTextsTheyGiveAlone() {
        Warmup.once();
        try (HttpClient client = HttpClient.newHttpClient()) {
            List<String> alone = new ArrayList<>();
            for (int i = 0; i < SUBJECTS.length; i++) {
                alone.add(stream(client, request(i)).join());
            }
            assertThat(alone).allSatisfy(text -> assertThat(text).isNotBlank());
            assertThat(alone).doesNotHaveDuplicates();

            List<CompletableFuture<String>> together = IntStream.range(0, SUBJECTS.length)
                    .mapToObj(i -> stream(client, request(i))).toList();
            List<String> texts = together.stream().map(CompletableFuture::join).toList();
            assertThat(texts).containsExactlyElementsOf(alone);
        }
        assertThat(served.pool().active()).isZero();
    }

    @Test
    void aClientThatLeavesMidStreamStopsItsGenerationAndFreesTheSession() throws Exception {
        // Alone, this request runs until the context is full (484 tokens); the client leaves after two pieces.
        double cancelledBefore = cancelled();
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a long story.\"}],\"temperature\":1,"
                + "\"seed\":5,\"stream\":true,\"kv_cache\":\"fp16\"}";
        try (Socket socket = new Socket(chatCompletions.getHost(), chatCompletions.getPort())) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST " + chatCompletions.getPath() + " HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
            int contentChunks = 0;
            for (String line = in.readLine(); line != null && contentChunks < 2; line = in.readLine()) {
                if (line.startsWith("data: {")) {
                    JsonNode chunk = Sse.parse(line.substring("data: ".length()));
                    if (chunk.path("choices").path(0).path("delta").has("content")) {
                        contentChunks++;
                    }
                }
            }
            assertThat(contentChunks).isEqualTo(2);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while ((served.pool().active() > 0 || cancelled() == cancelledBefore) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(served.pool().active()).isZero();
        assertThat(cancelled()).isEqualTo(cancelledBefore + 1);
    }

    private double cancelled() {
        Counter counter = registry.find("zipcache.generations").tag("endpoint", "chat")
                .tag("finish_reason", "cancelled").counter();
        return counter == null ? 0 : counter.count();
    }
}
