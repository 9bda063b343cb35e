# The two commands. Both install what they need inside the clone.
.PHONY: demo test

demo:
	scripts/demo.sh

test:
	scripts/test.sh
