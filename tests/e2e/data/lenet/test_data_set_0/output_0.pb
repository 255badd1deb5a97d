
BoutputJ(œÂ|@NÇ@¹GÕ¿J¸å¿y#@Hš½À	n†À‹s­?à¾FLB¿