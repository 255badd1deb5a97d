BoutputJ0!Üj=ª.>Vz$>Q
ú=ÒA¿=‚Qœ=a=<?,b>ãµ<S+Ú<yN†<öjD=