"""The person card (考核表): template, layout, formulas, validation, stamp, generate, distribute."""
