
BoutputJ(§0ù@£Sz@\¿Sö@‰k0¿k
øæCt≤?üYèø>[vøªo√ø