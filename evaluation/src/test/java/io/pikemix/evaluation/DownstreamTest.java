package io.pikemix.evaluation;

import static org.junit.jupiter.api.Assertions.*;

import io.pikemix.evaluation.TaskReaders.Example;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** k-shot prompts: k solved demonstrations, then the question, separated by blank lines; seeded, never the question itself. */
class DownstreamTest {
    static List<Example> examples(int n) {
        var out = new ArrayList<Example>();
        for (int i = 0; i < n; i++) out.add(new Example("Q" + i + ":", List.of(" a" + i, " b" + i), i % 2));
        return out;
    }

    @Test
    void zeroShot_isTheQuestionAlone() {
        assertEquals("Q3:", Downstream.prompt(examples(6), 3, 0, 1));
    }

    /* By hand for 2 shots: "Qd1: ANSWER\n\nQd2: ANSWER\n\nQ3:", the answers being the demonstrations' labelled choices. */
    @Test
    void fiveShot_solvedDemonstrationsSeparatedByBlankLines() {
        List<Example> ex = examples(12);
        String p = Downstream.prompt(ex, 3, 5, 42);
        String[] parts = p.split("\n\n", -1);
        assertEquals(6, parts.length, p);
        assertEquals("Q3:", parts[5]);
        var seen = new HashSet<String>();
        for (int s = 0; s < 5; s++) {
            int d = Integer.parseInt(parts[s].substring(1, parts[s].indexOf(':')));
            assertNotEquals(3, d);
            assertEquals(ex.get(d).solved(), parts[s]);
            assertTrue(seen.add(parts[s]), "demonstrations are distinct: " + p);
        }
        assertEquals(p, Downstream.prompt(ex, 3, 5, 42));
        assertNotEquals(p, Downstream.prompt(ex, 3, 5, 43));
    }

    /* Over many seeded draws: k distinct indices in [0, n), never i. */
    @Test
    void demonstrations_distinctAndNeverTheQuestion() {
        var rnd = new SplittableRandom(5);
        for (int trial = 0; trial < 500; trial++) {
            int n = 2 + rnd.nextInt(20), i = rnd.nextInt(n), k = rnd.nextInt(n);
            int[] d = Downstream.demonstrations(n, i, k, rnd.nextLong());
            assertEquals(k, d.length);
            assertEquals(k, Arrays.stream(d).distinct().count());
            for (int x : d) assertTrue(x >= 0 && x < n && x != i, Arrays.toString(d));
        }
    }

    @Test
    void tooFewExamplesForTheShots_isRefused() {
        var e = assertThrows(io.pikemix.format.UserException.class, () -> Downstream.prompt(examples(5), 0, 5, 1));
        assertTrue(e.getMessage().contains("5-shot prompts need more than 5 examples"), e.getMessage());
    }

    /* Items: the prompt and each choice encoded separately (OLMES), label kept; only the first `count` examples become items. */
    @Test
    void items_encodePromptAndChoices() {
        Downstream.TextEncoder chars = s -> s.chars().toArray();
        var items = Downstream.items(examples(4), 2, chars, 1, 9);
        assertEquals(2, items.size());
        var first = items.get(1);
        assertEquals(1, first.label());
        assertArrayEquals(" a1".chars().toArray(), first.candidates().get(0));
        String prompt = new String(first.context(), 0, first.context().length);
        assertEquals(Downstream.prompt(examples(4), 1, 1, 9), prompt);
    }
}
