package io.pikemix.evaluation;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.evaluation.TaskReaders.Example;
import io.pikemix.format.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each reader on a small file written in its published format (lines copied in shape from the released
 * HellaSwag, ARC, CommonsenseQA, PIQA and okapi multilingual HellaSwag files), and a malformed line of each
 * refused with the file and line number.
 */
class TaskReadersTest {
    @TempDir
    Path dir;

    static final String HELLASWAG_1 = """
            {"ind": 24, "activity_label": "Roof shingle removal", "ctx_a": "A man is sitting on a roof.", "ctx_b": "he", "ctx": "A man is sitting on a roof. he", "split": "val", "split_type": "indomain", "label": 3, "endings": ["is using wrap to wrap a pair of skis.", "is ripping level tiles off.", "is holding a rubik's cube.", "starts pulling up roofing on a roof."], "source_id": "activitynet~v_-JhWjGDPHMY"}""";
    static final String HELLASWAG_2 = """
            {"ind": 92, "activity_label": "Home and Garden", "ctx_a": "[header] How to clean a rug [title] Vacuum the rug.", "ctx_b": "", "ctx": "[header] How to clean a rug [title] Vacuum the rug.", "split": "val", "split_type": "zeroshot", "label": 0, "endings": ["[step] Go over it twice.", "Eat it.", "Paint it [substeps] red.", "Sell it."], "source_id": "wikihow~1"}""";

    Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    static void assertRefused(Path file, int line, String what, Runnable read) {
        var e = assertThrows(UserException.class, read::run);
        assertTrue(e.getMessage().startsWith(file + ":" + line + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(what), e.getMessage());
    }

    /* OLMES's prompt "ACTIVITY: CTX_A Ctx_b", endings after a space, [title] → ". " and other [tags] dropped. */
    @Test
    void hellaswag_parsesPublishedLines() throws Exception {
        Path f = write("hellaswag_val.jsonl", HELLASWAG_1 + "\n\n" + HELLASWAG_2 + "\n");
        List<Example> ex = TaskReaders.read("hellaswag", f);
        assertEquals(2, ex.size());
        assertEquals(
                "Roof shingle removal: A man is sitting on a roof. He",
                ex.get(0).context());
        assertEquals(
                List.of(
                        " is using wrap to wrap a pair of skis.",
                        " is ripping level tiles off.",
                        " is holding a rubik's cube.",
                        " starts pulling up roofing on a roof."),
                ex.get(0).choices());
        assertEquals(3, ex.get(0).label());
        assertEquals(
                "Home and Garden: How to clean a rug. Vacuum the rug.",
                ex.get(1).context());
        assertEquals(
                List.of(" Go over it twice.", " Eat it.", " Paint it red.", " Sell it."),
                ex.get(1).choices());
        assertEquals(
                "Roof shingle removal: A man is sitting on a roof. He starts pulling up roofing on a roof.",
                ex.get(0).solved());
    }

    @Test
    void hellaswag_refusesMalformedLineWithFileAndLine() throws Exception {
        Path broken = write("a.jsonl", HELLASWAG_1 + "\n{\"ctx\": \"x\", \"endings\": [\"a\", \"b\"\n");
        assertRefused(broken, 2, "not valid JSON", () -> TaskReaders.read("hellaswag", broken));
        Path unlabelled = write(
                "b.jsonl", HELLASWAG_1 + "\n" + HELLASWAG_1 + "\n" + HELLASWAG_1.replace("\"label\": 3, ", "") + "\n");
        assertRefused(unlabelled, 3, "missing field 'label'", () -> TaskReaders.read("hellaswag", unlabelled));
        Path outOfRange = write("c.jsonl", HELLASWAG_1.replace("\"label\": 3", "\"label\": 4") + "\n");
        assertRefused(
                outOfRange,
                1,
                "'label' 4 is not one of the 4 choices",
                () -> TaskReaders.read("hellaswag", outOfRange));
    }

    /* Multilingual HellaSwag: one file per language, published as a JSON array with string labels; JSON lines read too. */
    @Test
    void multilingualHellaswag_readsJsonArrayAndLines() throws Exception {
        Path de = write("hellaswag_de_validation.json", """
                [
                  {"ind": 24, "activity_label": "Entfernen von Dachschindeln", "ctx_a": "Ein Mann sitzt auf einem Dach.", "ctx_b": "er",
                   "ctx": "Ein Mann sitzt auf einem Dach. er", "endings": ["benutzt Folie.", "reißt Fliesen ab.", "hält einen Zauberwürfel.", "beginnt, das Dach abzudecken."],
                   "label": "3", "split": "val"},
                  {"ctx": "Eine Frau kocht.", "endings": ["Sie rührt um.", "Sie fliegt."], "label": "0"}
                ]
                """);
        List<Example> ex = TaskReaders.read("hellaswag-de", de);
        assertEquals(2, ex.size());
        assertEquals(
                "Entfernen von Dachschindeln: Ein Mann sitzt auf einem Dach. Er",
                ex.get(0).context());
        assertEquals(
                " beginnt, das Dach abzudecken.",
                ex.get(0).choices().get(ex.get(0).label()));
        assertEquals("Eine Frau kocht.", ex.get(1).context());
        assertEquals(0, ex.get(1).label());
        Path lines =
                write("hi.jsonl", "{\"ctx\": \"एक आदमी\", \"endings\": [\"चलता है\", \"उड़ता है\"], \"label\": 1}\n");
        assertEquals(
                " उड़ता है",
                TaskReaders.read("hellaswag-hi", lines).get(0).choices().get(1));
        Path bad = write(
                "fr.json",
                "[\n  {\"ctx\": \"a\", \"endings\": [\"b\", \"c\"], \"label\": 0},\n  {\"ctx\": \"a\", \"label\": 0}\n]\n");
        assertRefused(bad, 3, "'endings' must be an array", () -> TaskReaders.read("hellaswag-fr", bad));
    }

    /* ARC: "Question: STEM\nAnswer:", the answerKey's choice; labels A–E or 1–4. */
    @Test
    void arc_parsesLetterAndDigitLabels() throws Exception {
        Path f = write("ARC-Easy-Dev.jsonl", """
                {"id": "Mercury_7175875", "question": {"stem": "An astronomer observes that a planet rotates faster after a meteorite impact. Which is the most likely effect of this increase in rotation?", "choices": [{"text": "Planetary density will decrease.", "label": "A"}, {"text": "Planetary years will become longer.", "label": "B"}, {"text": "Planetary days will become shorter.", "label": "C"}, {"text": "Planetary gravity will become stronger.", "label": "D"}]}, "answerKey": "C"}
                {"id": "NYSEDREGENTS_2015_4_8", "question": {"stem": "Which object is the best conductor of electricity?", "choices": [{"text": "a wax crayon", "label": "1"}, {"text": "a plastic spoon", "label": "2"}, {"text": "a rubber eraser", "label": "3"}, {"text": "an iron nail", "label": "4"}]}, "answerKey": "4"}
                """);
        List<Example> ex = TaskReaders.read("arc", f);
        assertEquals(
                "Question: An astronomer observes that a planet rotates faster after a meteorite impact. Which is the most likely "
                        + "effect of this increase in rotation?\nAnswer:",
                ex.get(0).context());
        assertEquals(2, ex.get(0).label());
        assertEquals(" Planetary days will become shorter.", ex.get(0).choices().get(2));
        assertEquals(3, ex.get(1).label());
        assertEquals(" an iron nail", ex.get(1).choices().get(3));
        Path bad = write(
                "bad.jsonl",
                Files.readAllLines(f).get(0) + "\n"
                        + Files.readAllLines(f).get(1).replace("\"answerKey\": \"4\"", "\"answerKey\": \"E\"") + "\n");
        assertRefused(bad, 2, "answerKey 'E' is none of the choices' labels", () -> TaskReaders.read("arc", bad));
    }

    /* CommonsenseQA: ARC's shape with exactly 5 choices. */
    @Test
    void csqa_parsesFiveChoicesAndRefusesFour() throws Exception {
        String line = """
                {"answerKey": "A", "id": "1afa02df02c908a558b4036e80242fac", "question": {"question_concept": "revolving door", "choices": [{"label": "A", "text": "bank"}, {"label": "B", "text": "library"}, {"label": "C", "text": "department store"}, {"label": "D", "text": "mall"}, {"label": "E", "text": "new york"}], "stem": "A revolving door is convenient for two direction travel, but it also serves as a security measure at a what?"}}""";
        Path f = write("dev_rand_split.jsonl", line + "\n");
        Example e = TaskReaders.read("csqa", f).get(0);
        assertEquals(5, e.choices().size());
        assertEquals(0, e.label());
        assertEquals(" bank", e.choices().get(0));
        assertTrue(e.context().startsWith("Question: A revolving door"));
        Path four = write(
                "four.jsonl", line + "\n" + line.replace(", {\"label\": \"E\", \"text\": \"new york\"}", "") + "\n");
        assertRefused(four, 2, "has 4 entries, expected 5", () -> TaskReaders.read("csqa", four));
    }

    /* PIQA: X.jsonl and X-labels.lst beside it; a label that is not 0/1, or counts that differ, are refused. */
    @Test
    void piqa_readsLabelsFromTheListBesideIt() throws Exception {
        Path f = write("valid.jsonl", """
                {"goal": "How do I ready a guinea pig cage for it's new occupants?", "sol1": "Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper strips, you will also need to supply it with a water bottle and a food dish.", "sol2": "Provide the guinea pig with a cage full of a few inches of bedding made of ripped jeans material, you will also need to supply it with a water bottle and a food dish."}
                {"goal": "To open a jar easily,", "sol1": "run the lid under hot water.", "sol2": "run the lid under cold water."}
                """);
        write("valid-labels.lst", "0\n0\n");
        List<Example> ex = TaskReaders.read("piqa", f);
        assertEquals(2, ex.size());
        assertEquals("Question: To open a jar easily,\nAnswer:", ex.get(1).context());
        assertEquals(
                List.of(" run the lid under hot water.", " run the lid under cold water."),
                ex.get(1).choices());
        assertEquals(0, ex.get(1).label());
        Path labels = write("valid-labels.lst", "0\n2\n");
        assertRefused(labels, 2, "label must be 0 or 1", () -> TaskReaders.read("piqa", f));
        write("valid-labels.lst", "0\n1\n1\n");
        assertRefused(labels, 3, "more labels than the 2 questions", () -> TaskReaders.read("piqa", f));
        write("valid-labels.lst", "1\n");
        var e = assertThrows(UserException.class, () -> TaskReaders.read("piqa", f));
        assertTrue(
                e.getMessage().contains("has 1 labels but") && e.getMessage().contains("has 2 questions"),
                e.getMessage());
        Path noSol2 = write("x.jsonl", "{\"goal\": \"g\", \"sol1\": \"a\"}\n");
        write("x-labels.lst", "0\n");
        assertRefused(noSol2, 1, "missing field 'sol2'", () -> TaskReaders.read("piqa", noSol2));
        Files.delete(dir.resolve("x-labels.lst"));
        e = assertThrows(UserException.class, () -> TaskReaders.read("piqa", noSol2));
        assertTrue(e.getMessage().contains("x-labels.lst"), e.getMessage());
    }

    @Test
    void unknownTaskName_isRefusedWithTheNames() throws Exception {
        Path f = write("t.jsonl", HELLASWAG_1 + "\n");
        var e = assertThrows(UserException.class, () -> TaskReaders.read("mmlu", f));
        assertTrue(
                e.getMessage().contains("unknown task 'mmlu'") && e.getMessage().contains("piqa"), e.getMessage());
        assertThrows(UserException.class, () -> TaskReaders.read("hellaswag-", f));
    }
}
