package dev.zipcache.langchain4j;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.listener.ChatModelErrorContext;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.zipcache.engine.chat.ChatFormat;
import dev.zipcache.engine.chat.ChatMessage;
import dev.zipcache.engine.chat.ChatOptions;
import dev.zipcache.engine.generate.GenerationResult;
import dev.zipcache.engine.generate.Session;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.generate.TokenListener;
import dev.zipcache.engine.sampling.SamplingParameters;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ZipCacheChatModelTest {

    private static final String STORY = "Tell me a story about a cat";

    private static ChatRequest ask(String text, ChatRequestParameters parameters) {
        return ChatRequest.builder().messages(UserMessage.from(text)).parameters(parameters).build();
    }

    @Test
    void seedAndTemperatureMakeAnswersReproducible() {
        try (ZipCacheChatModel model = Stories.greedy().temperature(1.0).maxOutputTokens(30).build()) {
            ChatRequestParameters seed7 = ZipCacheChatRequestParameters.builder().seed(7L).build();
            String first = model.chat(ask(STORY, seed7)).aiMessage().text();
            String again = model.chat(ask(STORY, seed7)).aiMessage().text();
            String other = model.chat(ask(STORY, ZipCacheChatRequestParameters.builder().seed(8L).build()))
                    .aiMessage().text();
            assertThat(again).isEqualTo(first);
            assertThat(other).isNotEqualTo(first);
        }
        try (ZipCacheChatModel seeded = Stories.greedy().temperature(1.0).seed(7L).maxOutputTokens(30).build()) {
            assertThat(seeded.chat(STORY)).isEqualTo(seeded.chat(STORY));
        }
    }

    /** {@code mmap(false)}: the chat model reads the weights into memory and answers as the mapped model does. */
    @Test
    void weightsReadIntoMemoryAnswerAsMappedOnes() {
        try (ZipCacheChatModel mapped = ZipCacheChatModel.builder().modelPath(Stories.path()).temperature(0.0)
                .maxOutputTokens(20).build();
             ZipCacheChatModel inMemory = ZipCacheChatModel.builder().modelPath(Stories.path()).mmap(false)
                     .temperature(0.0).maxOutputTokens(20).build()) {
            assertThat(inMemory.chat(STORY)).isNotBlank().isEqualTo(mapped.chat(STORY));
        }
    }

    @Test
    void maxOutputTokensEndsTheAnswerWithLength() {
        try (ZipCacheChatModel model = Stories.greedy().maxOutputTokens(50).build()) {
            ChatResponse response = model.chat(ask(STORY, ChatRequestParameters.builder().maxOutputTokens(7).build()));
            assertThat(response.finishReason()).isEqualTo(FinishReason.LENGTH);
            assertThat(response.tokenUsage().outputTokenCount()).isEqualTo(7);
            assertThat(response.aiMessage().text()).isNotBlank();
        }
    }

    @Test
    void stopSequenceEndsTheAnswerBeforeIt() {
        try (ZipCacheChatModel model = Stories.greedy().maxOutputTokens(40).build()) {
            String full = model.chat(ask(STORY, ChatRequestParameters.builder().build())).aiMessage().text();
            String[] words = full.strip().split("\\s+");
            String stop = words[Math.min(3, words.length - 1)];
            ChatResponse cut = model.chat(ask(STORY, ChatRequestParameters.builder().stopSequences(stop).build()));
            assertThat(cut.finishReason()).isEqualTo(FinishReason.STOP);
            assertThat(cut.aiMessage().text()).isEqualTo(full.substring(0, full.indexOf(stop)));
        }
    }

    @Test
    void usageAndTextEqualTheEngines() {
        List<dev.langchain4j.data.message.ChatMessage> conversation = List.of(
                SystemMessage.from("You tell stories."), UserMessage.from("Who is Lily?"));
        ChatResponse response;
        try (ZipCacheChatModel model = Stories.greedy().maxOutputTokens(25).build()) {
            response = model.chat(conversation);
        }
        ChatFormat format = ChatFormat.forModel(Stories.model());
        int[] prompt = format.promptTokens(List.of(ChatMessage.system("You tell stories."),
                ChatMessage.user("Who is Lily?")));
        GenerationResult engine;
        try (Session session = Session.open(Stories.model(), SessionOptions.defaults().withThreads(1))) {
            engine = session.generate(format.request(prompt, new ChatOptions(25, SamplingParameters.GREEDY,
                    List.of(), null)), TokenListener.NONE);
        }
        assertThat(response.aiMessage().text()).isEqualTo(engine.text());
        assertThat(response.tokenUsage().inputTokenCount()).isEqualTo(engine.usage().promptTokens());
        assertThat(response.tokenUsage().outputTokenCount()).isEqualTo(engine.usage().completionTokens());
        assertThat(response.tokenUsage().totalTokenCount()).isEqualTo(engine.usage().totalTokens());
        assertThat(response.finishReason().name()).isEqualTo(engine.finishReason().name());
    }

    @Test
    void responseCarriesModelNameAndKvCacheStatistics() {
        try (ZipCacheChatModel model = Stories.greedy().kvCache("zipcache").maxOutputTokens(20).build()) {
            ChatResponse response = model.chat(ask(STORY, ChatRequestParameters.builder().build()));
            assertThat(response.modelName()).isEqualTo("stories260K");
            assertThat(response.id()).startsWith("zipcache-");
            ZipCacheChatResponseMetadata metadata = (ZipCacheChatResponseMetadata) response.metadata();
            assertThat(metadata.kvCache()).isEqualTo("zipcache");
            assertThat(metadata.kvCacheTokens()).isEqualTo(response.tokenUsage().totalTokenCount() - 1L);
            assertThat(metadata.kvCacheBytes()).isPositive().isLessThan(metadata.kvCacheFp16Bytes());
            assertThat(metadata.compressionRatio()).isGreaterThan(1.0);
            assertThat(metadata.prefilledTokens()).isEqualTo(response.tokenUsage().inputTokenCount());

            ChatResponse fp16 = model.chat(ask(STORY, ZipCacheChatRequestParameters.builder().kvCache("fp16").build()));
            ZipCacheChatResponseMetadata plain = (ZipCacheChatResponseMetadata) fp16.metadata();
            assertThat(plain.kvCache()).isEqualTo("fp16");
            assertThat(plain.compressionRatio()).isEqualTo(1.0);
        }
    }

    @Test
    void defaultParametersReportTheEffectiveSettings() {
        try (ZipCacheChatModel model = ZipCacheChatModel.builder().model(Stories.model()).threads(1)
                .defaultRequestParameters(ChatRequestParameters.builder().temperature(0.3).topK(5)
                        .maxOutputTokens(9).build())
                .topK(7).build()) {
            ZipCacheChatRequestParameters defaults = (ZipCacheChatRequestParameters) model.defaultRequestParameters();
            assertThat(defaults.modelName()).isEqualTo("stories260K");
            assertThat(defaults.temperature()).isEqualTo(0.3);
            assertThat(defaults.topK()).isEqualTo(7); // the builder's own setter wins
            assertThat(defaults.topP()).isEqualTo(0.95);
            assertThat(defaults.minP()).isEqualTo(0.05);
            assertThat(defaults.maxOutputTokens()).isEqualTo(9);
            assertThat(defaults.kvCache()).isEqualTo("fp16");
            assertThat(model.chat(ask(STORY, ChatRequestParameters.builder().build())).tokenUsage()
                    .outputTokenCount()).isLessThanOrEqualTo(9);
        }
    }

    @Test
    void listenersSeeTheMergedRequestAndTheResponse() {
        List<Object> events = new ArrayList<>();
        ChatModelListener listener = new ChatModelListener() {
            @Override
            public void onRequest(ChatModelRequestContext context) {
                events.add(context.chatRequest());
            }

            @Override
            public void onResponse(ChatModelResponseContext context) {
                events.add(context.chatResponse());
            }

            @Override
            public void onError(ChatModelErrorContext context) {
                events.add(context.error());
            }
        };
        try (ZipCacheChatModel model = Stories.greedy().maxOutputTokens(12).listeners(listener).build()) {
            ChatResponse response = model.chat(ask(STORY, ChatRequestParameters.builder().topP(0.5).build()));
            assertThat(events).hasSize(2);
            ChatRequest seen = (ChatRequest) events.get(0);
            assertThat(seen.parameters().modelName()).isEqualTo("stories260K");
            assertThat(seen.parameters().temperature()).isEqualTo(0.0);
            assertThat(seen.parameters().topP()).isEqualTo(0.5);
            assertThat(seen.parameters().maxOutputTokens()).isEqualTo(12);
            assertThat(events.get(1)).isSameAs(response);

            events.clear();
            assertThatThrownBy(() -> model.chat(ask(STORY, ChatRequestParameters.builder()
                    .toolSpecifications(ToolSpecification.builder().name("weather").build()).build())))
                    .isInstanceOf(UnsupportedFeatureException.class);
            assertThat(events).hasSize(2).last().isInstanceOf(UnsupportedFeatureException.class);
        }
    }

    @Test
    void unsupportedFeaturesAreRejectedWithClearMessages() {
        try (ZipCacheChatModel model = Stories.greedy().maxOutputTokens(5).build()) {
            assertUnsupported(model, ChatRequestParameters.builder()
                    .toolSpecifications(ToolSpecification.builder().name("weather").build()).build(), "tools");
            assertUnsupported(model, ChatRequestParameters.builder()
                    .toolSpecifications(ToolSpecification.builder().name("weather").build())
                    .toolChoice(ToolChoice.REQUIRED).build(), "ToolChoice.REQUIRED");
            assertUnsupported(model, ChatRequestParameters.builder().responseFormat(ResponseFormat.JSON).build(),
                    "JSON response format");
            assertUnsupported(model, ChatRequestParameters.builder().frequencyPenalty(0.5).build(),
                    "frequencyPenalty");
            assertUnsupported(model, ChatRequestParameters.builder().presencePenalty(0.5).build(),
                    "presencePenalty");
            assertUnsupported(model, ChatRequestParameters.builder().modelName("llama-70b").build(), "modelName");

            assertThatThrownBy(() -> model.chat(UserMessage.from(TextContent.from("What is this?"),
                    ImageContent.from("aGVsbG8=", "image/png"))))
                    .isExactlyInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("image");
            assertThatThrownBy(() -> model.chat(List.of(UserMessage.from("weather?"),
                    ToolExecutionResultMessage.from("1", "weather", "sunny"))))
                    .isExactlyInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("TOOL");
            // Zero penalties change nothing, so they are accepted.
            assertThat(model.chat(ask(STORY, ChatRequestParameters.builder().frequencyPenalty(0.0).build()))
                    .aiMessage().text()).isNotEmpty();
        }
        assertThatThrownBy(() -> Stories.greedy().defaultRequestParameters(ChatRequestParameters.builder()
                .responseFormat(ResponseFormat.JSON).build()).build())
                .isExactlyInstanceOf(UnsupportedFeatureException.class);
        assertThatThrownBy(() -> Stories.greedy().kvCache("nosuchcache").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("zipcache");
        assertThatThrownBy(() -> Stories.greedy().topP(0.0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("top-p");
    }

    @Test
    void aDeviceWithoutItsBackendOnTheClassPathFailsTheBuildSayingWhatToAdd() {
        assertThatThrownBy(() -> Stories.greedy().device("cuda").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown device 'cuda'")
                .hasMessageContaining("zipcache-cuda");
        try (ZipCacheChatModel onCpu = Stories.greedy().device("cpu").maxOutputTokens(5).build()) {
            assertThat(onCpu.chat(STORY)).isNotBlank();
        }
    }

    private static void assertUnsupported(ZipCacheChatModel model, ChatRequestParameters parameters, String what) {
        assertThatThrownBy(() -> model.chat(ask(STORY, parameters)))
                .isExactlyInstanceOf(UnsupportedFeatureException.class)
                .hasMessageContaining(what)
                .hasMessageContaining("not supported");
    }

    @Test
    void followUpTurnPrefillsOnlyItsNewTokens() {
        try (ZipCacheChatModel model = Stories.greedy().maxOutputTokens(20).build()) {
            UserMessage first = UserMessage.from("Tell me about Tom");
            ChatResponse one = model.chat(first);
            ZipCacheChatResponseMetadata oneStats = (ZipCacheChatResponseMetadata) one.metadata();
            assertThat(oneStats.cachedPromptTokens()).isZero();

            List<dev.langchain4j.data.message.ChatMessage> turnTwo = List.of(first, one.aiMessage(),
                    UserMessage.from("What did Tom do next?"));
            ChatResponse two = model.chat(turnTwo);
            ZipCacheChatResponseMetadata twoStats = (ZipCacheChatResponseMetadata) two.metadata();
            int promptOne = one.tokenUsage().inputTokenCount();
            int promptTwo = two.tokenUsage().inputTokenCount();

            // What the engine itself would find in a session that just answered turn one.
            ChatFormat format = ChatFormat.forModel(Stories.model());
            int[] tokensTwo = format.promptTokens(List.of(ChatMessage.user("Tell me about Tom"),
                    ChatMessage.assistant(one.aiMessage().text()), ChatMessage.user("What did Tom do next?")));
            int reusable;
            try (Session session = Session.open(Stories.model(), SessionOptions.defaults().withThreads(1))) {
                session.generate(format.request(format.promptTokens(List.of(ChatMessage.user("Tell me about Tom"))),
                        new ChatOptions(20, SamplingParameters.GREEDY, List.of(), null)), TokenListener.NONE);
                reusable = session.reusablePrefix(tokensTwo);
            }
            assertThat(tokensTwo).hasSize(promptTwo);
            assertThat(twoStats.cachedPromptTokens()).isEqualTo(reusable).isGreaterThanOrEqualTo(promptOne);
            assertThat(twoStats.prefilledTokens()).isEqualTo(promptTwo - reusable);
            // The new tokens: the new user message and the answer's tokens the cache did not hold.
            assertThat(twoStats.prefilledTokens()).isLessThan(promptTwo - promptOne);
        }
    }

    @Test
    void interleavedConversationsEachFindTheirCache() {
        try (ZipCacheChatModel model = Stories.greedy().sessions(2).maxOutputTokens(15).build()) {
            UserMessage tom = UserMessage.from("Tell me about Tom");
            UserMessage sue = UserMessage.from("Sing a song about the sun");
            AiMessage tomAnswer = model.chat(tom).aiMessage();
            AiMessage sueAnswer = model.chat(sue).aiMessage();
            ChatResponse tomTwo = model.chat(tom, tomAnswer, UserMessage.from("And then?"));
            ChatResponse sueTwo = model.chat(sue, sueAnswer, UserMessage.from("Again!"));
            assertThat(((ZipCacheChatResponseMetadata) tomTwo.metadata()).cachedPromptTokens())
                    .isGreaterThan(10);
            assertThat(((ZipCacheChatResponseMetadata) sueTwo.metadata()).cachedPromptTokens())
                    .isGreaterThan(10);
        }
    }

    @Test
    void ourParametersSurviveMergingWithLangChain4jsOwn() {
        ChatRequestParameters common = ChatRequestParameters.builder().temperature(0.5).maxOutputTokens(9).build();
        ZipCacheChatRequestParameters ours = ZipCacheChatRequestParameters.builder().seed(5L).kvCache("kivi")
                .temperature(0.1).build();

        ChatRequestParameters oursOverCommon = common.overrideWith(ours);
        assertThat(oursOverCommon).isInstanceOf(ZipCacheChatRequestParameters.class);
        assertThat(((ZipCacheChatRequestParameters) oursOverCommon).seed()).isEqualTo(5L);
        assertThat(oursOverCommon.temperature()).isEqualTo(0.1);
        assertThat(oursOverCommon.maxOutputTokens()).isEqualTo(9);

        ZipCacheChatRequestParameters commonOverOurs = ours.overrideWith(common);
        assertThat(commonOverOurs.kvCache()).isEqualTo("kivi");
        assertThat(commonOverOurs.temperature()).isEqualTo(0.5);
        assertThat(ours.overrideWith(null)).isEqualTo(ours);
    }
}
