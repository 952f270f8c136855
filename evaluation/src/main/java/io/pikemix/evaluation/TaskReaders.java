package io.pikemix.evaluation;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pikemix.format.UserException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Readers for the published files of the paper's downstream tasks (Appendix D.7), each into {@link Example}s in
 * OLMES's cloze formulation (the context as a prompt, each answer as a continuation after a space):
 *
 * <ul>
 *   <li>{@code hellaswag}: HellaSwag JSONL (Zellers et al., 2019), {@code {"ctx", "endings": [4], "label"}} (and
 *       {@code activity_label}, {@code ctx_a}, {@code ctx_b} when present, as OLMES uses them);</li>
 *   <li>{@code hellaswag-LANG}: multilingual HellaSwag (Dac Lai et al., 2023), HellaSwag's fields, one file per
 *       language, JSON lines or one JSON array;</li>
 *   <li>{@code arc}: ARC-Easy / ARC-Challenge JSONL (Clark et al., 2018), {@code {"question": {"stem", "choices":
 *       [{"label", "text"}]}, "answerKey"}} with labels A–E or 1–4;</li>
 *   <li>{@code csqa}: CommonsenseQA JSONL (Talmor et al., 2018), the same shape with 5 choices;</li>
 *   <li>{@code piqa}: PIQA (Bisk et al., 2019), {@code X.jsonl} of {@code {"goal", "sol1", "sol2"}} and the labels,
 *       one 0/1 per line, in {@code X-labels.lst} beside it.</li>
 * </ul>
 *
 * A line that is not JSON, lacks a field or has a label outside its choices is refused with the file and line
 * number ({@link UserException}); blank lines are skipped.
 */
public final class TaskReaders {
    private TaskReaders() {}

    /** One question as text: the prompt, the candidate continuations (with their leading space) and the answer. */
    public record Example(String context, List<String> choices, int label) {
        public Example {
            choices = List.copyOf(choices);
        }

        /** The prompt followed by its right answer (a demonstration in a k-shot prompt). */
        public String solved() {
            return context + choices.get(label);
        }
    }

    public static final List<String> NAMES = List.of("hellaswag", "hellaswag-LANG", "arc", "csqa", "piqa");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Refuses a name that is none of {@link #NAMES}. */
    public static void checkName(String name) {
        if (!isHellaswag(name) && !List.of("arc", "csqa", "piqa").contains(name))
            throw new UserException("unknown task '" + name + "'; expected one of " + String.join(", ", NAMES));
    }

    private static boolean isHellaswag(String name) {
        return name.equals("hellaswag") || name.startsWith("hellaswag-") && name.length() > "hellaswag-".length();
    }

    /** Reads the task named {@code name} (one of {@link #NAMES}; LANG any language code) from {@code file}. */
    public static List<Example> read(String name, Path file) {
        if (isHellaswag(name)) return hellaswag(file);
        return switch (name) {
            case "arc" -> arc(file, 0);
            case "csqa" -> arc(file, 5);
            case "piqa" -> piqa(file);
            default ->
                throw new UserException("unknown task '" + name + "'; expected one of " + String.join(", ", NAMES));
        };
    }

    /** HellaSwag (and its translations): OLMES's prompt "ACTIVITY: CTX_A CTX_B" (preprocessed), endings after a space. */
    public static List<Example> hellaswag(Path file) {
        return parse(file, n -> {
            String ctx;
            if (n.hasNonNull("ctx_a") && n.hasNonNull("ctx_b")) {
                String b = n.get("ctx_b").asText();
                ctx = n.get("ctx_a").asText() + " "
                        + (b.isEmpty() ? b : b.substring(0, 1).toUpperCase(Locale.ROOT) + b.substring(1));
            } else {
                ctx = text(n, "ctx");
            }
            if (n.hasNonNull("activity_label")
                    && !n.get("activity_label").asText().isBlank())
                ctx = n.get("activity_label").asText() + ": " + ctx;
            JsonNode endings = n.get("endings");
            require(
                    endings != null && endings.isArray() && endings.size() >= 2,
                    "'endings' must be an array of at least 2 strings");
            var choices = new ArrayList<String>();
            for (JsonNode e : endings) choices.add(" " + hellaswagText(e.asText()));
            return new Example(hellaswagText(ctx), choices, index(n, "label", choices.size()));
        });
    }

    /** ARC and CommonsenseQA: "Question: STEM\nAnswer:", each choice's text after a space; {@code choices} 0 = any number. */
    public static List<Example> arc(Path file, int choices) {
        return parse(file, n -> {
            JsonNode q = n.get("question");
            require(q != null && q.isObject(), "missing object 'question'");
            String stem = text(q, "stem");
            JsonNode cs = q.get("choices");
            require(
                    cs != null && cs.isArray() && cs.size() >= 2,
                    "'question.choices' must be an array of at least 2 {label, text}");
            require(
                    choices == 0 || cs.size() == choices,
                    "'question.choices' has %d entries, expected %d",
                    cs.size(),
                    choices);
            String key = text(n, "answerKey");
            var texts = new ArrayList<String>();
            int label = -1;
            for (JsonNode c : cs) {
                if (text(c, "label").equals(key)) label = texts.size();
                texts.add(" " + text(c, "text"));
            }
            require(label >= 0, "answerKey '%s' is none of the choices' labels", key);
            return new Example("Question: " + stem + "\nAnswer:", texts, label);
        });
    }

    /** PIQA: {@code X.jsonl} and its labels {@code X-labels.lst} (one 0 or 1 per line, as many lines as examples). */
    public static List<Example> piqa(Path file) {
        String name = file.getFileName().toString();
        Path labels = file.resolveSibling(
                (name.endsWith(".jsonl") ? name.substring(0, name.length() - 6) : name) + "-labels.lst");
        if (!Files.isRegularFile(labels))
            throw new UserException(
                    "PIQA labels not found: " + labels + " (published beside " + name + " as X-labels.lst)");
        List<String> lines = lines(labels);
        var questions = parse(file, n -> new String[] {text(n, "goal"), text(n, "sol1"), text(n, "sol2")});
        var out = new ArrayList<Example>();
        int q = 0;
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i).strip();
            if (l.isEmpty()) continue;
            if (!l.equals("0") && !l.equals("1"))
                throw new UserException(labels + ":" + (i + 1) + ": label must be 0 or 1, got '" + l + "'");
            if (q == questions.size())
                throw new UserException(labels + ":" + (i + 1) + ": more labels than the " + questions.size()
                        + " questions of " + file);
            String[] g = questions.get(q++);
            out.add(new Example(
                    "Question: " + g[0] + "\nAnswer:", List.of(" " + g[1], " " + g[2]), Integer.parseInt(l)));
        }
        if (q != questions.size())
            throw new UserException(
                    labels + " has " + q + " labels but " + file + " has " + questions.size() + " questions");
        return out;
    }

    private static final Pattern BRACKETS = Pattern.compile("\\[.*?\\]");

    /**
     * OLMES's HellaSwag preprocessing: strip, " [title]" → ". ", drop other [tags], collapse double spaces; then strip
     * again, so that an ending that began with a tag ("[step] Go …") does not get two spaces before it.
     */
    static String hellaswagText(String text) {
        String t = text.strip().replace(" [title]", ". ");
        t = BRACKETS.matcher(t).replaceAll("");
        return t.replace("  ", " ").strip();
    }

    /** Thrown inside a line's parser; becomes "FILE:LINE: message". */
    private static final class Malformed extends RuntimeException {
        Malformed(String message) {
            super(message);
        }
    }

    private static void require(boolean condition, String message, Object... args) {
        if (!condition) throw new Malformed(String.format(message, args));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        require(v != null && v.isValueNode() && !v.isNull(), "missing field '%s'", field);
        return v.asText();
    }

    /** An integer label (a number or a string holding one) in [0, n). */
    private static int index(JsonNode n, String field, int size) {
        String s = text(n, field).strip();
        int label;
        try {
            label = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new Malformed(String.format("'%s' must be an integer, got '%s'", field, s));
        }
        require(label >= 0 && label < size, "'%s' %d is not one of the %d choices", field, label, size);
        return label;
    }

    /**
     * Every record of a JSON-lines file (or of one JSON array, the form some translations are published in) through
     * {@code parse}; a failure names the file and the line the record starts on.
     */
    private static <T> List<T> parse(Path file, Function<JsonNode, T> parse) {
        if (!Files.isRegularFile(file)) throw new UserException("task file not found: " + file);
        List<String> lines = lines(file);
        var out = new ArrayList<T>();
        int first = 0;
        while (first < lines.size() && lines.get(first).isBlank()) first++;
        if (first < lines.size() && lines.get(first).stripLeading().startsWith("[")) return array(file, parse);
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            try {
                JsonNode n = JSON.readTree(lines.get(i));
                require(n.isObject(), "not a JSON object");
                out.add(parse.apply(n));
            } catch (JsonProcessingException e) {
                throw new UserException(file + ":" + (i + 1) + ": not valid JSON (" + e.getOriginalMessage() + ")");
            } catch (Malformed e) {
                throw new UserException(file + ":" + (i + 1) + ": " + e.getMessage());
            }
        }
        return out;
    }

    private static <T> List<T> array(Path file, Function<JsonNode, T> parse) {
        var out = new ArrayList<T>();
        int line = 1;
        try (JsonParser p = JSON.getFactory().createParser(file.toFile())) {
            p.nextToken(); // [
            while (true) {
                JsonToken t = p.nextToken();
                line = p.currentLocation().getLineNr();
                if (t == JsonToken.END_ARRAY) break;
                if (t != JsonToken.START_OBJECT) throw new Malformed("expected a JSON object, found " + t);
                out.add(parse.apply(JSON.readTree(p)));
            }
        } catch (JsonProcessingException e) {
            throw new UserException(
                    file + ":" + e.getLocation().getLineNr() + ": not valid JSON (" + e.getOriginalMessage() + ")");
        } catch (Malformed e) {
            throw new UserException(file + ":" + line + ": " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
