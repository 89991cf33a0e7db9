"""What the sample photos are, in ImageNet's words: any of these counts as recognising them.

Chelsea is a tabby; ImageNet's five domestic-cat classes overlap (Lite0 puts 'tiger cat' and
'Egyptian cat' within 0.5 % of each other), so a test asks for a cat, not one of them.
"""

CAT_CLASSES = frozenset({"tabby", "tiger cat", "Persian cat", "Siamese cat", "Egyptian cat"})
