package io.pikemix.etl.tokenizer;

/**
 * A text tokenizer used by the ETL's inner loop. Implementations must be thread-safe for
 * {@link #encode} (Spark runs several tasks per executor JVM) and cheap to obtain on an executor:
 * executors obtain one through {@link Tokenizers#load} from the tokenizer's spec string, which is
 * the only thing that travels in a Spark closure.
 */
public interface Tokenizer {
    /** Stable identity recorded in dataset.json: e.g. {@code "cl100k_base"} or {@code "bpe-8192"}. */
    String name();

    /** Content hash (hex SHA-256) of what defines the tokenizer: its tokenizer.json bytes, or the encoding name. */
    String contentHash();

    /** Number of ids, including special tokens. Every id returned by {@link #encode} is in [0, vocabSize). */
    int vocabSize();

    /** The id of the end-of-sequence token appended after every document when packing. */
    int eosId();

    /** Token ids of {@code text}, without any special token. */
    int[] encode(String text);

    /**
     * The ids of the text whose UTF-8 bytes are {@code utf8[offset, offset + length)} (valid UTF-8), into {@code out}:
     * the same ids as {@link #encode} of that text. The ETL's hot path; this default decodes the text first.
     */
    default void encodeUtf8(byte[] utf8, int offset, int length, TokenSink out) {
        out.tokens(encode(new String(utf8, offset, length, java.nio.charset.StandardCharsets.UTF_8)));
    }

    /** Text of {@code ids}; special tokens are rendered as their literal strings (e.g. {@code <|endoftext|>}). */
    String decode(int[] ids);
}
