package dev.zipcache.engine.chat;

import dev.zipcache.engine.generate.GenerationRequest;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.tokenizer.TokenType;
import dev.zipcache.engine.tokenizer.Tokenizer;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A chat template bound to a model's tokenizer: it turns a conversation into prompt tokens and knows what ends an
 * answer. Shared by the terminal chat, the REST service and the LangChain4j adapter, so all three prompt the model
 * identically. Immutable and thread-safe.
 */
public final class ChatFormat {

    private final ChatTemplate template;
    private final Tokenizer tokenizer;
    private final Set<Integer> endOfTurnTokens;
    private final List<String> stopStrings;

    public ChatFormat(ChatTemplate template, Tokenizer tokenizer) {
        this.template = template;
        this.tokenizer = tokenizer;
        Set<Integer> tokens = new HashSet<>();
        List<String> strings = new ArrayList<>();
        for (String marker : template.endOfTurnTokens()) {
            // A marker that is one control token stops generation as that token: control tokens decode to no text,
            // so a stop string could never see it. Otherwise it is matched as text.
            int[] ids = tokenizer.encode(marker, true);
            if (ids.length == 1 && (tokenizer.type(ids[0]) == TokenType.CONTROL
                    || tokenizer.type(ids[0]) == TokenType.USER_DEFINED)) {
                tokens.add(ids[0]);
            } else {
                strings.add(marker);
            }
        }
        strings.addAll(template.stopStrings());
        this.endOfTurnTokens = Set.copyOf(tokens);
        this.stopStrings = List.copyOf(strings);
    }

    /** The model's own template ({@link ChatTemplate#forModel}) over its tokenizer. */
    public static ChatFormat forModel(Model model) {
        return new ChatFormat(ChatTemplate.forModel(model), model.tokenizer());
    }

    /** The prompt text for {@code messages}, ending with the assistant's header when {@code addGenerationPrompt}. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return template.render(messages, addGenerationPrompt);
    }

    /** The prompt tokens that ask for the next assistant message after {@code messages} (BOS as the model wants). */
    public int[] promptTokens(List<ChatMessage> messages) {
        return tokenizer.encodePrompt(render(messages, true), true);
    }

    /** A request for the answer that follows {@code promptTokens}, stopping at the template's end of turn. */
    public GenerationRequest request(int[] promptTokens, ChatOptions options) {
        List<String> stops = new ArrayList<>(stopStrings);
        stops.addAll(options.stopStrings());
        return new GenerationRequest(null, promptTokens, options.maxTokens(), options.sampling(), stops,
                endOfTurnTokens, true, options.cancellation());
    }

    public ChatTemplate template() {
        return template;
    }

    /** Token ids that end an answer besides the model's own end-of-generation tokens. */
    public Set<Integer> endOfTurnTokens() {
        return endOfTurnTokens;
    }

    /** Texts that end an answer (end-of-turn markers that are not single control tokens, and the template's). */
    public List<String> stopStrings() {
        return stopStrings;
    }
}
