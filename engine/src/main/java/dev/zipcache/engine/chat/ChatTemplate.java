package dev.zipcache.engine.chat;

import dev.zipcache.engine.chat.ChatMessage.Role;
import dev.zipcache.engine.model.Model;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Renders a conversation into a model's prompt format. Rather than run the Jinja template stored in GGUF
 * {@code tokenizer.chat_template}, the common families are recognised by strings their templates contain (as
 * llama.cpp's {@code llm_chat_detect_template} does) and rendered by hand, byte for byte as the official templates
 * render them.
 *
 * <p><b>BOS.</b> A template whose official Jinja text writes {@code bos_token} (Llama 2, Mistral, Llama 3, Gemma)
 * puts the BOS token's text first ({@link #includesBos()}); the others (ChatML, Zephyr, plain) leave BOS to the
 * tokenizer, as Hugging Face does. Either way the prompt gets exactly one BOS: {@code Session.tokenize} adds BOS only
 * when the model asks for it and the encoded text does not already start with it. Render with special-token parsing
 * on ({@code parseSpecial = true}) so that {@code <|eot_id|>} and the like become their tokens.
 *
 * <p><b>Simplifications.</b> Tool calls are not rendered; Llama 3.1's "Cutting Knowledge Date" header and Qwen 2.5's
 * default system prompt are not added. Families without a system role (Llama 2 keeps it in {@code <<SYS>>}, Mistral
 * and Gemma have none) fold the system text into the next user message; Mistral's newer templates put it before the
 * <em>last</em> user message instead, which would change the prompt's beginning each turn and defeat KV cache reuse.
 */
public enum ChatTemplate {

    /**
     * Llama 2 chat: {@code <s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {answer} </s><s>[INST] ...}.
     * Messages are stripped; the template has no generation prompt (the answer follows {@code [/INST]}).
     */
    LLAMA_2("llama2", true, List.of("</s>"), List.of()) {
        @Override
        void renderTo(StringBuilder prompt, List<ChatMessage> messages, boolean addGenerationPrompt) {
            String pendingSystem = null;
            for (ChatMessage message : messages) {
                switch (message.role()) {
                    case SYSTEM -> pendingSystem = join(pendingSystem, message.content(), "\n\n");
                    case USER -> {
                        String content = message.content();
                        if (pendingSystem != null) {
                            content = "<<SYS>>\n" + pendingSystem + "\n<</SYS>>\n\n" + content;
                            pendingSystem = null;
                        }
                        prompt.append("<s>[INST] ").append(content.strip()).append(" [/INST]");
                    }
                    case ASSISTANT -> prompt.append(' ').append(message.content().strip()).append(" </s>");
                }
            }
        }
    },

    /**
     * Llama 3.x: {@code <|begin_of_text|>} once, then {@code <|start_header_id|>{role}<|end_header_id|>\n\n{content}<|eot_id|>}
     * per message (content trimmed), and the assistant header as the generation prompt.
     */
    LLAMA_3("llama3", true, List.of("<|eot_id|>", "<|eom_id|>"), List.of()) {
        @Override
        void renderTo(StringBuilder prompt, List<ChatMessage> messages, boolean addGenerationPrompt) {
            prompt.append("<|begin_of_text|>");
            for (ChatMessage message : messages) {
                header(prompt, message.role().id()).append(message.content().strip()).append("<|eot_id|>");
            }
            if (addGenerationPrompt) {
                header(prompt, Role.ASSISTANT.id());
            }
        }

        private static StringBuilder header(StringBuilder prompt, String role) {
            return prompt.append("<|start_header_id|>").append(role).append("<|end_header_id|>\n\n");
        }
    },

    /** ChatML (Qwen, OpenHermes, ...): {@code <|im_start|>{role}\n{content}<|im_end|>\n}; no BOS. */
    CHATML("chatml", false, List.of("<|im_end|>"), List.of()) {
        @Override
        void renderTo(StringBuilder prompt, List<ChatMessage> messages, boolean addGenerationPrompt) {
            for (ChatMessage message : messages) {
                prompt.append("<|im_start|>").append(message.role().id()).append('\n').append(message.content())
                        .append("<|im_end|>\n");
            }
            if (addGenerationPrompt) {
                prompt.append("<|im_start|>assistant\n");
            }
        }
    },

    /**
     * Mistral Instruct v0.1/v0.2: {@code <s>[INST] {user} [/INST]{answer}</s>[INST] ...}; the system text goes before
     * the first user message, followed by a blank line. Contents are not stripped (the official template does not).
     */
    MISTRAL("mistral", true, List.of("</s>"), List.of()) {
        @Override
        void renderTo(StringBuilder prompt, List<ChatMessage> messages, boolean addGenerationPrompt) {
            prompt.append("<s>");
            String pendingSystem = null;
            for (ChatMessage message : messages) {
                switch (message.role()) {
                    case SYSTEM -> pendingSystem = join(pendingSystem, message.content(), "\n\n");
                    case USER -> {
                        String content = pendingSystem == null ? message.content()
                                : pendingSystem + "\n\n" + message.content();
                        pendingSystem = null;
                        prompt.append("[INST] ").append(content).append(" [/INST]");
                    }
                    case ASSISTANT -> prompt.append(message.content()).append("</s>");
                }
            }
        }
    },

    /**
     * Zephyr and TinyLlama-Chat: {@code <|{role}|>\n{content}</s>\n}, generation prompt {@code <|assistant|>\n}. The
     * templates write {@code eos_token}, which is {@code </s>} in the Llama/Mistral vocabularies these models use. No
     * BOS in the text: the tokenizer adds it.
     */
    ZEPHYR("zephyr", false, List.of("</s>"), List.of()) {
        @Override
        void renderTo(StringBuilder prompt, List<ChatMessage> messages, boolean addGenerationPrompt) {
            for (ChatMessage message : messages) {
                prompt.append("<|").append(message.role().id()).append("|>\n").append(message.content())
                        .append("</s>\n");
            }
            if (addGenerationPrompt) {
                prompt.append("<|assistant|>\n");
            }
        }
    },

    /**
     * Gemma: {@code <bos><start_of_turn>user\n{content}<end_of_turn>\n<start_of_turn>model\n...}; the assistant is
     * called {@code model}, contents are trimmed, and the system text opens the next user message followed by a
     * blank line (Gemma 3's rule; Gemma 1 rejects a system message).
     */
    GEMMA("gemma", true, List.of("<end_of_turn>"), List.of()) {
        @Override
        void renderTo(StringBuilder prompt, List<ChatMessage> messages, boolean addGenerationPrompt) {
            prompt.append("<bos>");
            String pendingSystem = null;
            for (ChatMessage message : messages) {
                switch (message.role()) {
                    case SYSTEM -> pendingSystem = join(pendingSystem, message.content(), "\n\n");
                    case USER -> {
                        prompt.append("<start_of_turn>user\n");
                        if (pendingSystem != null) {
                            prompt.append(pendingSystem).append("\n\n");
                            pendingSystem = null;
                        }
                        prompt.append(message.content().strip()).append("<end_of_turn>\n");
                    }
                    case ASSISTANT -> prompt.append("<start_of_turn>model\n").append(message.content().strip())
                            .append("<end_of_turn>\n");
                }
            }
            if (addGenerationPrompt) {
                prompt.append("<start_of_turn>model\n");
            }
        }
    },

    /**
     * The fallback for a model without a chat template (llama2.c checkpoints such as stories260K, base models): one
     * line per message, {@code System: ...}, {@code User: ...}, {@code Assistant: ...} (contents stripped), and
     * {@code Assistant:} as the generation prompt. No special tokens, no BOS in the text (the tokenizer adds it).
     * Generation also stops at {@code "\nUser:"}, so that a base model does not write the user's next line. A base
     * model was never trained on this format: expect a continuation, not an assistant.
     */
    PLAIN("plain", false, List.of(), List.of("\nUser:")) {
        @Override
        void renderTo(StringBuilder prompt, List<ChatMessage> messages, boolean addGenerationPrompt) {
            for (ChatMessage message : messages) {
                String label = switch (message.role()) {
                    case SYSTEM -> "System:";
                    case USER -> "User:";
                    case ASSISTANT -> "Assistant:";
                };
                prompt.append(label);
                String content = message.content().strip();
                if (!content.isEmpty()) {
                    prompt.append(' ').append(content);
                }
                prompt.append('\n');
            }
            if (addGenerationPrompt) {
                prompt.append("Assistant:");
            }
        }
    };

    /** The GGUF metadata key holding the Hugging Face Jinja chat template. */
    public static final String METADATA_KEY = "tokenizer.chat_template";

    private static final System.Logger LOG = System.getLogger(ChatTemplate.class.getName());

    private final String id;
    private final boolean includesBos;
    private final List<String> endOfTurnTokens;
    private final List<String> stopStrings;

    ChatTemplate(String id, boolean includesBos, List<String> endOfTurnTokens, List<String> stopStrings) {
        this.id = id;
        this.includesBos = includesBos;
        this.endOfTurnTokens = endOfTurnTokens;
        this.stopStrings = stopStrings;
    }

    /**
     * The prompt text for {@code messages}.
     *
     * @param addGenerationPrompt whether to open the assistant's turn (the header the answer follows); Llama 2 and
     *                            Mistral have none, their user turn ends with {@code [/INST]}
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        StringBuilder prompt = new StringBuilder();
        renderTo(prompt, messages, addGenerationPrompt);
        return prompt.toString();
    }

    abstract void renderTo(StringBuilder prompt, List<ChatMessage> messages, boolean addGenerationPrompt);

    /** The name for {@link #named}: {@code llama2}, {@code llama3}, {@code chatml}, ... */
    public String id() {
        return id;
    }

    /** Whether the rendered text starts with the BOS token's text (see the class comment). */
    public boolean includesBos() {
        return includesBos;
    }

    /**
     * The special-token texts that end the assistant's turn ({@code <|eot_id|>}, {@code <|im_end|>}, ...). Generation
     * should stop at these tokens besides the model's own end-of-generation tokens.
     */
    public List<String> endOfTurnTokens() {
        return endOfTurnTokens;
    }

    /** Plain text at which an answer ends (only the fallback has any). */
    public List<String> stopStrings() {
        return stopStrings;
    }

    /** The template named {@code name} ({@link #id()}, case-insensitive). */
    public static Optional<ChatTemplate> named(String name) {
        String wanted = name.strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(template -> template.id.equals(wanted)).findFirst();
    }

    /**
     * Recognises a Jinja chat template (or a template name) by the strings its family's templates contain, in
     * llama.cpp's order of checks: ChatML's {@code <|im_start|>} first, then {@code [INST]} (Llama 2 when it has
     * {@code <<SYS>>}, Mistral otherwise), Zephyr's {@code <|user|>}/{@code <|assistant|>}, Gemma's
     * {@code <start_of_turn>}, and Llama 3's header tokens.
     *
     * @return the family, or empty when none matches
     */
    public static Optional<ChatTemplate> detect(String template) {
        Optional<ChatTemplate> byName = named(template);
        if (byName.isPresent()) {
            return byName;
        }
        if (template.contains("<|im_start|>")) {
            return Optional.of(CHATML);
        }
        if (template.startsWith("mistral") || template.contains("[INST]")) {
            return Optional.of(template.contains("<<SYS>>") ? LLAMA_2 : MISTRAL);
        }
        // Phi-3 also writes <|user|> and <|assistant|> but closes turns with <|end|>: a different family.
        if (template.contains("<|user|>") && template.contains("<|assistant|>") && !template.contains("<|end|>")) {
            return Optional.of(ZEPHYR);
        }
        if (template.contains("<start_of_turn>")) {
            return Optional.of(GEMMA);
        }
        if (template.contains("<|start_header_id|>") && template.contains("<|end_header_id|>")) {
            return Optional.of(LLAMA_3);
        }
        return Optional.empty();
    }

    /**
     * The template for a model: its GGUF {@code tokenizer.chat_template} when recognised, else {@link #PLAIN} (with a
     * warning when the model has a template this engine does not know).
     */
    public static ChatTemplate forModel(Model model) {
        Optional<String> jinja = model.metadata().optionalString(METADATA_KEY);
        if (jinja.isEmpty()) {
            return PLAIN;
        }
        return detect(jinja.get()).orElseGet(() -> {
            LOG.log(System.Logger.Level.WARNING, "unrecognised chat template in {0}; using the plain fallback",
                    model.path().getFileName());
            return PLAIN;
        });
    }

    private static String join(String first, String second, String separator) {
        return first == null ? second : first + separator + second;
    }
}
