// Longest-prefix-match route tables (issue #2). Exports are added here.
