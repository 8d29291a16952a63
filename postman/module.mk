# postman/module.mk - delivery: the submission queue into mailboxes
# (see postman/postman.h for its files).
PROGRAMS += postman

postman_SRCS := postman/postman.c postman/postman_deliver.c postman/postman_expand.c \
                postman/postman_genmail.c \
                postman/postman_bounce.c postman/postman_vacation.c \
                postman/postman_wake.c postman/postman_sieve.c

UNIT_EXTRA_postman_expand := postman/postman_expand.c
UNIT_EXTRA_postman_headers := postman/postman_genmail.c \
                              postman/postman_bounce.c postman/postman_vacation.c \
                postman/postman_wake.c
