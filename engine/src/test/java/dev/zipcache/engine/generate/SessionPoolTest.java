package dev.zipcache.engine.generate;

import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.sampling.SamplingParameters;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The session pool: conversations find their cache again, capacity and queue bounds hold, failures free slots. */
class SessionPoolTest {

    static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(SharedFiles.file("models/stories260K/stories260K.bin"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static SessionPool pool(int capacity) {
        return new SessionPool(model, SessionOptions.defaults().withKvCache("fp16").withThreads(1), capacity);
    }

    private static GenerationResult generate(SessionPool.Lease lease, int[] prompt) {
        return lease.session().generate(new GenerationRequest(null, prompt, 8,
                SamplingParameters.GREEDY, List.of(), Set.of(), true,
                null), (token, text) -> { });
    }

    @Test
    void aFollowUpTurnFindsTheSessionHoldingItsConversation() throws Exception {
        try (SessionPool pool = pool(2)) {
            int[] first = model.tokenizer().encodePrompt("Lily saw a cat", true);
            int[] other = model.tokenizer().encodePrompt("Tom had a red ball", true);
            GenerationResult firstAnswer;
            try (SessionPool.Lease lease = pool.acquire(null, first, 0)) {
                firstAnswer = generate(lease, first);
            }
            try (SessionPool.Lease lease = pool.acquire(null, other, 0)) {
                generate(lease, other);
            }
            // The follow-up extends the first conversation: its prompt starts with the first prompt and answer.
            int[] followUp = concat(first, firstAnswer.generatedTokenIds(),
                    model.tokenizer().encode(" They played.", true));
            try (SessionPool.Lease lease = pool.acquire(null, followUp, 0)) {
                GenerationResult result = generate(lease, followUp);
                // The answer's last token was sampled but never run, so it is the first one prefilled.
                assertThat(firstAnswer.finishReason()).isEqualTo(FinishReason.LENGTH);
                assertThat(result.usage().cachedPromptTokens())
                        .isEqualTo(first.length + firstAnswer.generatedTokenIds().length - 1);
            }
        }
    }

    @Test
    void aFullPoolLetsCallersWaitUpToTheQueueBoundAndServesThemInTurn() throws Exception {
        try (SessionPool pool = pool(1)) {
            int[] prompt = model.tokenizer().encodePrompt("Once upon a time", true);
            SessionPool.Lease held = pool.acquire(null, prompt, 0);
            CompletableFuture<Integer> waiter = CompletableFuture.supplyAsync(() -> {
                try (SessionPool.Lease lease = pool.acquire(null, prompt, 1)) {
                    return generate(lease, prompt).usage().promptTokens();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            while (pool.waiting() == 0) {
                Thread.onSpinWait();
            }
            assertThatThrownBy(() -> pool.acquire(null, prompt, 1))
                    .isInstanceOf(SessionPool.SaturatedException.class)
                    .hasMessageContaining("busy");
            assertThat(waiter).isNotDone();
            held.close();
            assertThat(waiter.get(30, TimeUnit.SECONDS)).isEqualTo(prompt.length);
            assertThat(pool.active()).isZero();
            assertThat(pool.idleCacheStats()).hasSize(1);
        }
    }

    @Test
    void aBadCacheSpecFailsWithoutHoldingASlot() throws Exception {
        try (SessionPool pool = pool(1)) {
            int[] prompt = model.tokenizer().encodePrompt("Once", true);
            assertThatThrownBy(() -> pool.acquire("no-such-cache", prompt, 0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("no-such-cache");
            assertThat(pool.active()).isZero();
            try (SessionPool.Lease lease = pool.acquire("kivi:bits=4", prompt, 0)) {
                assertThat(lease.session().cacheSpec()).isEqualTo("kivi:bits=4");
            }
            // The only slot now holds a kivi session; a default request reopens it as fp16.
            try (SessionPool.Lease lease = pool.acquire(null, prompt, 0)) {
                assertThat(lease.session().cacheSpec()).isEqualTo("fp16");
            }
        }
    }

    @Test
    void aDiscardedSessionIsClosedAndItsSlotFreed() throws Exception {
        try (SessionPool pool = pool(1)) {
            int[] prompt = model.tokenizer().encodePrompt("Once", true);
            SessionPool.Lease lease = pool.acquire(null, prompt, 0);
            Session discarded = lease.session();
            lease.discard();
            lease.close(); // a second give-back is ignored
            assertThat(pool.active()).isZero();
            assertThat(pool.idleCacheStats()).isEmpty();
            try (SessionPool.Lease next = pool.acquire(null, prompt, 0)) {
                assertThat(next.session()).isNotSameAs(discarded);
            }
        }
    }

    @Test
    void theFirstSessionOpenedAtStartUpServesTheFirstRequest() throws Exception {
        try (SessionPool pool = pool(1)) {
            pool.openFirstSession();
            assertThat(pool.active()).isZero();
            assertThat(pool.idleCacheStats()).hasSize(1);
            int[] prompt = model.tokenizer().encodePrompt("Once", true);
            try (SessionPool.Lease lease = pool.acquire(null, prompt, 0)) {
                assertThat(lease.session().cacheSpec()).isEqualTo("fp16");
                assertThat(pool.idleCacheStats()).isEmpty(); // the same session, not a second one
            }
        }
    }

    private static int[] concat(int[]... parts) {
        int length = 0;
        for (int[] part : parts) {
            length += part.length;
        }
        int[] all = new int[length];
        int at = 0;
        for (int[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }
}
